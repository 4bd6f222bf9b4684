# points: get_top_magnitude_indices=0
# kind: wrong
# note: uses the built-in abs(), which works on an array but raises TypeError on a plain Python list (the text requires lists to work)
# message: bad operand type for abs(): 'list'
def get_top_magnitude_indices(values):
    top_indices = np.argsort(-abs(values))
    return top_indices
