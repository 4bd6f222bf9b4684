# points: get_top_magnitude_indices=1
# kind: correct
# note: ascending argsort of the magnitudes, reversed with [::-1]; equal magnitudes come out last-first, which the text allows ('values with equal magnitudes may come in either order')
def get_top_magnitude_indices(values):
    top_indices = np.argsort(np.abs(np.asarray(values)))[::-1]
    return top_indices
