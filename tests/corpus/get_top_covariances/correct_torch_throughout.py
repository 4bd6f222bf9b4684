# points: get_top_covariances=2
# kind: correct
# note: everything in torch (float64), without the numpy helpers: torch.cov, torch.argsort(descending=True, stable=True), a boolean mask; returns torch tensors, which the docstring allows. Ambiguous: the text says 'Use your three helpers'
def get_top_covariances(classification_changes, target_index, top_n=10):
    x = torch.as_tensor(np.asarray(classification_changes), dtype=torch.float64)
    row = torch.cov(x.reshape(-1, x.shape[-1]).T)[target_index]
    order = torch.argsort(row.abs(), descending=True, stable=True)
    relevant_indices = order[order != target_index][:top_n]
    highest_covariances = row[relevant_indices]
    return relevant_indices, highest_covariances
