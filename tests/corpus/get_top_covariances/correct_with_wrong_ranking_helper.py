# points: get_top_covariances=2 get_top_magnitude_indices=0
# kind: correct
# note: get_top_covariances is right and calls the helpers, but this student's get_top_magnitude_indices sorts ascending: one mistake, one function
# --- cell: get_top_magnitude_indices
def get_top_magnitude_indices(values):
    top_indices = np.argsort(np.abs(values))
    return top_indices
# --- cell: get_top_covariances
def get_top_covariances(classification_changes, target_index, top_n=10):
    cov_matrix = covariance_matrix_from_examples(np.asarray(classification_changes))
    ranked = remove_from_list(get_top_magnitude_indices(cov_matrix[target_index]), target_index)
    relevant_indices = ranked[:top_n]
    highest_covariances = cov_matrix[target_index][relevant_indices]
    return relevant_indices, highest_covariances
