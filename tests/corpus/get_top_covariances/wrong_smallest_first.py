# points: get_top_covariances=0
# kind: wrong
# note: sorts the magnitudes ascending (np.argsort without negating), so it returns the weakest links first
# message: smallest magnitude first
def get_top_covariances(classification_changes, target_index, top_n=10):
    cov_matrix = np.cov(np.asarray(classification_changes).reshape(-1, np.shape(classification_changes)[-1]), rowvar=False)
    row = cov_matrix[target_index]
    order = np.argsort(np.abs(row))
    relevant_indices = order[order != target_index][:top_n]
    highest_covariances = row[relevant_indices]
    return relevant_indices, highest_covariances
