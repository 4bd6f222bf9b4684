# points: remove_from_list=1
# kind: correct
# note: a loop appending every other element to a list, turned into an array of the input's dtype (so an empty result is still an integer array)
def remove_from_list(indices, index_to_remove):
    indices = np.asarray(indices)
    kept = []
    for value in indices:
        if value != index_to_remove:
            kept.append(value)
    new_indices = np.array(kept, dtype=indices.dtype)
    return new_indices
