# points: get_top_covariances=2 remove_from_list=0
# kind: correct
# note: get_top_covariances is right and calls the helpers, but this student's remove_from_list deletes by position (np.delete): one mistake, one function
# --- cell: remove_from_list
def remove_from_list(indices, index_to_remove):
    new_indices = np.delete(indices, index_to_remove)
    return new_indices
# --- cell: get_top_covariances
def get_top_covariances(classification_changes, target_index, top_n=10):
    cov_matrix = covariance_matrix_from_examples(np.asarray(classification_changes))
    relevant_indices = get_top_magnitude_indices(cov_matrix[target_index, :])
    relevant_indices = remove_from_list(relevant_indices, target_index)
    relevant_indices = relevant_indices[:top_n]
    highest_covariances = cov_matrix[target_index, relevant_indices]
    return relevant_indices, highest_covariances
