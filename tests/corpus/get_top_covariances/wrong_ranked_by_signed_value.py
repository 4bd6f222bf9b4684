# points: get_top_covariances=0
# kind: wrong
# note: ranks by the signed covariance with np.argsort(-row) instead of by magnitude, so strong negative links rank last
# message: you ranked by signed value, not by magnitude
def get_top_covariances(classification_changes, target_index, top_n=10):
    cov_matrix = covariance_matrix_from_examples(np.asarray(classification_changes))
    row = cov_matrix[target_index]
    order = np.argsort(-row)
    relevant_indices = order[order != target_index][:top_n]
    return relevant_indices, row[relevant_indices]
