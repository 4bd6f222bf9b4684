# points: get_top_covariances=2 covariance_matrix_from_examples=0
# kind: correct
# note: get_top_covariances is right and calls the helpers, but this student's covariance_matrix_from_examples divides by N instead of N - 1: one mistake, one function (checked with the reference helper, get_top_covariances earns its 2 points)
# --- cell: covariance_matrix_from_examples
def covariance_matrix_from_examples(examples):
    return np.cov(examples.reshape(-1, examples.shape[2]), rowvar=False, bias=True)
# --- cell: get_top_covariances
def get_top_covariances(classification_changes, target_index, top_n=10):
    cov_matrix = covariance_matrix_from_examples(np.asarray(classification_changes))
    relevant_indices = get_top_magnitude_indices(cov_matrix[target_index, :])
    relevant_indices = remove_from_list(relevant_indices, target_index)[:top_n]
    highest_covariances = cov_matrix[target_index, relevant_indices]
    return relevant_indices, highest_covariances
