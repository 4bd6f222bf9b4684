# points: remove_from_list=0
# kind: delegating
# note: calls ganbias_helpers.reference.remove_value inside the graded function
from ganbias_helpers.reference import remove_value


def remove_from_list(indices, index_to_remove):
    new_indices = remove_value(indices, index_to_remove)
    return new_indices
