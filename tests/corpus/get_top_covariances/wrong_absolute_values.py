# points: get_top_covariances=0
# kind: wrong
# note: ranks correctly but returns the absolute values of the covariances, so the signs are lost
# message: highest_covariances lost their signs
def get_top_covariances(classification_changes, target_index, top_n=10):
    cov_matrix = covariance_matrix_from_examples(np.asarray(classification_changes))
    magnitudes = np.abs(cov_matrix[target_index, :])
    relevant_indices = get_top_magnitude_indices(magnitudes)
    relevant_indices = remove_from_list(relevant_indices, target_index)[:top_n]
    highest_covariances = magnitudes[relevant_indices]
    return relevant_indices, highest_covariances
