# points: get_top_covariances=2
# kind: correct
# note: does not call the three helpers: computes only the target's row of covariances from centred columns, then ranks it with sorted(). Ambiguous: the text says 'Use your three helpers', but the result is what is graded
def get_top_covariances(classification_changes, target_index, top_n=10):
    x = np.asarray(classification_changes, dtype=np.float64)
    x = x.reshape(-1, x.shape[-1])
    centred = x - x.mean(axis=0)
    row = centred.T @ centred[:, target_index] / (len(x) - 1)
    ranked = sorted((i for i in range(len(row)) if i != target_index), key=lambda i: -abs(row[i]))
    relevant_indices = np.array(ranked[:top_n])
    highest_covariances = row[relevant_indices]
    return relevant_indices, highest_covariances
