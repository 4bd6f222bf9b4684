# points: get_top_magnitude_indices=0
# kind: wrong
# note: right order, but returns a Python list from sorted(); the text asks for a NumPy array
# message: should be a numpy array of indices, got list
def get_top_magnitude_indices(values):
    top_indices = sorted(range(len(values)), key=lambda i: abs(values[i]), reverse=True)
    return top_indices
