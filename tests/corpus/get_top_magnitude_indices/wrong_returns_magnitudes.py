# points: get_top_magnitude_indices=0
# kind: wrong
# note: returns the sorted magnitudes themselves instead of their indices
# message: the result holds values, not indices
def get_top_magnitude_indices(values):
    top_indices = np.sort(np.abs(np.asarray(values)))[::-1]
    return top_indices
