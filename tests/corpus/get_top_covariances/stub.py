# points: get_top_covariances=0
# kind: stub
# note: the release's answer cell as handed out, unanswered (raises NotImplementedError)
def get_top_covariances(classification_changes, target_index, top_n=10):
    """The top_n features whose changes covary most, in absolute value, with the target's changes.

    Parameters:
        classification_changes: how each generated image's classifications changed while the target
            was steered, shape (2 * grad_steps, n_images, n_features), a numpy array or a torch tensor
        target_index: the index of the target feature
        top_n: how many features to return (default 10)
    Returns:
        relevant_indices: the indices (numpy or torch) of the top_n features with the largest absolute
            covariance with the target, largest first, never the target itself
        highest_covariances: their covariances with the target, signs kept, in the same order
    """
    # YOUR CODE HERE
    raise NotImplementedError()
    return relevant_indices, highest_covariances
