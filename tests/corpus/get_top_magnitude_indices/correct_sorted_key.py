# points: get_top_magnitude_indices=1
# kind: correct
# note: Python's sorted() over the positions with the magnitude as key, reverse=True, wrapped in np.array
def get_top_magnitude_indices(values):
    values = list(values)
    order = sorted(range(len(values)), key=lambda i: abs(values[i]), reverse=True)
    top_indices = np.array(order, dtype=int)
    return top_indices
