# points: inverse_frequency_weights=0
# kind: wrong
# note: 1 / count, not normalised by N / K, with 0 for an absent class
# message: you returned 1 / count
def inverse_frequency_weights(labels, n_classes):
    counts = torch.bincount(torch.as_tensor(np.asarray(labels), dtype=torch.int64), minlength=n_classes).float()
    return torch.where(counts > 0, 1.0 / counts.clamp_min(1), torch.zeros_like(counts))
