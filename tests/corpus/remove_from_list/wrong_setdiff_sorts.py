# points: remove_from_list=0
# kind: wrong
# note: np.setdiff1d returns the remaining values sorted, so the order of the input is lost
# message: the result is sorted
def remove_from_list(indices, index_to_remove):
    new_indices = np.setdiff1d(indices, [index_to_remove])
    return new_indices
