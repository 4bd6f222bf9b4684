# points: remove_from_list=0
# kind: wrong
# note: right elements and order, but returns a Python list; the text asks for a new array (and the visible check calls .tolist() on it)
# message: the result should be a numpy array, got list
def remove_from_list(indices, index_to_remove):
    new_indices = [i for i in indices if i != index_to_remove]
    return new_indices
