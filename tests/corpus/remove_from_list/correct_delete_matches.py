# points: remove_from_list=1
# kind: correct
# note: finds the positions holding the value with np.flatnonzero and np.delete's them (np.delete returns a new array)
def remove_from_list(indices, index_to_remove):
    indices = np.asarray(indices)
    new_indices = np.delete(indices, np.flatnonzero(indices == index_to_remove))
    return new_indices
