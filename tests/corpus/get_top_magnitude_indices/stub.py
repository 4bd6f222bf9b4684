# points: get_top_magnitude_indices=0
# kind: stub
# note: the release's answer cell as handed out, unanswered (raises NotImplementedError)
def get_top_magnitude_indices(values):
    """Indices of values ordered by magnitude, ignoring signs (a helper for get_top_covariances).

    Parameters:
        values: a numpy array (or a list) of shape (n_values,)
    Returns:
        a numpy array of indices, from the value with the largest magnitude to the smallest
    """
    # YOUR CODE HERE
    raise NotImplementedError()
    return top_indices
