# points: get_top_covariances=0
# kind: wrong
# note: forgets to remove the target, so the list starts with the target's own variance
# message: the target's own index is in relevant_indices
def get_top_covariances(classification_changes, target_index, top_n=10):
    cov_matrix = covariance_matrix_from_examples(np.asarray(classification_changes))
    relevant_indices = get_top_magnitude_indices(cov_matrix[target_index, :])[:top_n]
    highest_covariances = cov_matrix[target_index, relevant_indices]
    return relevant_indices, highest_covariances
