# points: remove_from_list=0
# kind: wrong
# note: right result, but shifts the later elements left inside the input array and returns a view of it, changing the caller's array (the text forbids changing the input)
# message: was changed in place
def remove_from_list(indices, index_to_remove):
    hits = np.flatnonzero(indices == index_to_remove)
    if len(hits) == 0:
        return indices.copy()
    i = hits[0]
    indices[i:-1] = indices[i + 1:].copy()
    new_indices = indices[:-1]
    return new_indices
