# points: remove_from_list=1
# kind: correct
# note: the one-liner from the hint without np.asarray: correct for numpy arrays, which is what the docstring says indices is; a plain list would silently give a wrong answer (the hint mentions lists, the text does not require them)
def remove_from_list(indices, index_to_remove):
    new_indices = indices[indices != index_to_remove]
    return new_indices
