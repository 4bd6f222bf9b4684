# points: get_top_magnitude_indices=0
# kind: wrong
# note: np.argsort of the magnitudes without reversing: smallest magnitude first
# message: smallest magnitude first
def get_top_magnitude_indices(values):
    top_indices = np.argsort(np.abs(values))
    return top_indices
