# points: remove_from_list=0
# kind: wrong
# note: np.delete(indices, index_to_remove) removes the element at position index_to_remove, not the element equal to it
def remove_from_list(indices, index_to_remove):
    new_indices = np.delete(indices, index_to_remove)
    return new_indices
