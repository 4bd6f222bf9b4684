# points: inverse_frequency_weights=0
# kind: wrong
# note: right values, but returns a float64 tensor (forgot .float()); the text asks for float32
# message: the weights should be float32
def inverse_frequency_weights(labels, n_classes):
    labels = torch.as_tensor(np.asarray(labels), dtype=torch.int64)
    counts = torch.bincount(labels, minlength=n_classes).double()
    return torch.where(counts > 0, len(labels) / (n_classes * counts.clamp_min(1)), torch.zeros_like(counts))
