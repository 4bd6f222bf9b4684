# points: inverse_frequency_weights=0
# kind: wrong
# note: uses the number of classes present in labels for K instead of n_classes, so the weights are off whenever a class is absent
# message: you used the number of classes present in labels
def inverse_frequency_weights(labels, n_classes):
    labels = torch.as_tensor(np.asarray(labels), dtype=torch.int64)
    counts = torch.bincount(labels, minlength=n_classes).double()
    present = int((counts > 0).sum())
    weights = torch.where(counts > 0, len(labels) / (present * counts.clamp_min(1)), torch.zeros_like(counts))
    return weights.float()
