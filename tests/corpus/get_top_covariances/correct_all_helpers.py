# points: get_top_covariances=2 covariance_matrix_from_examples=1 get_top_magnitude_indices=1 remove_from_list=1
# kind: correct
# note: all four functions answered, each in its own cell, written differently from the solution (manual centring, sorted(), np.delete of the matches)
# --- cell: covariance_matrix_from_examples
def covariance_matrix_from_examples(examples):
    x = np.asarray(examples, dtype=np.float64).reshape(-1, np.shape(examples)[-1])
    centred = x - x.mean(axis=0)
    return centred.T @ centred / (x.shape[0] - 1)
# --- cell: get_top_magnitude_indices
def get_top_magnitude_indices(values):
    values = list(values)
    top_indices = np.array(sorted(range(len(values)), key=lambda i: -abs(values[i])), dtype=int)
    return top_indices
# --- cell: remove_from_list
def remove_from_list(indices, index_to_remove):
    indices = np.asarray(indices)
    new_indices = np.delete(indices, np.flatnonzero(indices == index_to_remove))
    return new_indices
# --- cell: get_top_covariances
def get_top_covariances(classification_changes, target_index, top_n=10):
    cov = covariance_matrix_from_examples(np.asarray(classification_changes))
    row = cov[target_index]
    relevant_indices = remove_from_list(get_top_magnitude_indices(row), target_index)[:top_n]
    return relevant_indices, row[relevant_indices]
