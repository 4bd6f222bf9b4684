# points: inverse_frequency_weights=0
# kind: wrong
# note: inverse counts rescaled to sum to 1 instead of N / (K * count)
# message: you rescaled the weights to sum to 1
def inverse_frequency_weights(labels, n_classes):
    counts = torch.bincount(torch.as_tensor(np.asarray(labels), dtype=torch.int64), minlength=n_classes).float()
    inverse = torch.where(counts > 0, 1 / counts.clamp_min(1), torch.zeros_like(counts))
    return inverse / inverse.sum()
