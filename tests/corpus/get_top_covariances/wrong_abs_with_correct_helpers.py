# points: get_top_covariances=0 covariance_matrix_from_examples=1 get_top_magnitude_indices=1 remove_from_list=1
# kind: wrong
# note: the three helpers are right; get_top_covariances itself picks the values out of the absolute row, losing the signs
# message: highest_covariances lost their signs
# --- cell: covariance_matrix_from_examples
def covariance_matrix_from_examples(examples):
    return np.cov(examples.reshape(-1, examples.shape[2]), rowvar=False)
# --- cell: get_top_magnitude_indices
def get_top_magnitude_indices(values):
    top_indices = np.argsort(-np.abs(np.asarray(values)))
    return top_indices
# --- cell: remove_from_list
def remove_from_list(indices, index_to_remove):
    indices = np.asarray(indices)
    new_indices = indices[indices != index_to_remove]
    return new_indices
# --- cell: get_top_covariances
def get_top_covariances(classification_changes, target_index, top_n=10):
    row = np.abs(covariance_matrix_from_examples(np.asarray(classification_changes))[target_index])
    relevant_indices = remove_from_list(get_top_magnitude_indices(row), target_index)[:top_n]
    highest_covariances = row[relevant_indices]
    return relevant_indices, highest_covariances
