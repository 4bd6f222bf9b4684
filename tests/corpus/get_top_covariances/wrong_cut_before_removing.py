# points: get_top_covariances=0
# kind: wrong
# note: keeps the first top_n and only then removes the target, so it returns top_n - 1 features
# message: you kept the first top_n and then removed the target
def get_top_covariances(classification_changes, target_index, top_n=10):
    cov_matrix = covariance_matrix_from_examples(np.asarray(classification_changes))
    relevant_indices = get_top_magnitude_indices(cov_matrix[target_index, :])[:top_n]
    relevant_indices = remove_from_list(relevant_indices, target_index)
    highest_covariances = cov_matrix[target_index, relevant_indices]
    return relevant_indices, highest_covariances
