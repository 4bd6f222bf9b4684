# points: remove_from_list=0
# kind: stub
# note: the release's answer cell as handed out, unanswered (raises NotImplementedError)
def remove_from_list(indices, index_to_remove):
    """A copy of indices without index_to_remove, order unchanged (a helper for get_top_covariances).

    Parameters:
        indices: a numpy array of indices, shape (n_indices,)
        index_to_remove: the value to take out
    Returns:
        a new numpy array with the remaining indices, in their original order
    """
    # YOUR CODE HERE
    raise NotImplementedError()
    return new_indices
