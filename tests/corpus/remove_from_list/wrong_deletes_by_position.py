# points: remove_from_list=0
# kind: wrong
# note: np.delete(indices, index_to_remove) removes the element at position index_to_remove, not the element equal to it
# message: you removed the element at position index_to_remove
def remove_from_list(indices, index_to_remove):
    new_indices = np.delete(indices, index_to_remove)
    return new_indices
