# points: inverse_frequency_weights=1
# kind: correct
# note: all arithmetic in float32 torch (no float64 step), zeros filled in place on a copy for the absent classes
def inverse_frequency_weights(labels, n_classes):
    labels = torch.as_tensor(labels).long().flatten()
    counts = torch.bincount(labels, minlength=n_classes).float()
    weights = labels.numel() / (n_classes * counts)
    weights = weights.clone()
    weights[counts == 0] = 0.0
    return weights
