# points: covariance_matrix_from_examples=0
# kind: stub
# note: the release's answer cell as handed out, unanswered (raises NotImplementedError)
def covariance_matrix_from_examples(examples):
    """Covariance matrix of the features over every step and image (a helper for get_top_covariances).

    Parameters:
        examples: the classification changes, an array of shape (2 * grad_steps, n_images, n_features)
    Returns:
        the covariance matrix of the features, shape (n_features, n_features)
    """
    # YOUR CODE HERE
    raise NotImplementedError()
