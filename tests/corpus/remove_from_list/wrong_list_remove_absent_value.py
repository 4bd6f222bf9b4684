# points: remove_from_list=0
# kind: wrong
# note: list.remove raises ValueError when the value is not there; the text says the value appears at most once, so it may be absent
def remove_from_list(indices, index_to_remove):
    remaining = list(indices)
    remaining.remove(index_to_remove)
    new_indices = np.array(remaining)
    return new_indices
