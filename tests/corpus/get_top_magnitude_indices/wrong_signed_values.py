# points: get_top_magnitude_indices=0
# kind: wrong
# note: sorts by the signed values, largest first, so a large negative value ranks last (sign not removed)
# message: ordered by value, not by magnitude
def get_top_magnitude_indices(values):
    top_indices = np.argsort(-np.asarray(values))
    return top_indices
