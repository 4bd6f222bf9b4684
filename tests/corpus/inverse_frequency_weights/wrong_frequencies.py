# points: inverse_frequency_weights=0
# kind: wrong
# note: returns each class's frequency count / N instead of the inverse-frequency weight N / (K * count)
# message: you returned frequencies
def inverse_frequency_weights(labels, n_classes):
    labels = torch.as_tensor(np.asarray(labels), dtype=torch.int64)
    counts = torch.bincount(labels, minlength=n_classes).float()
    return counts / len(labels)
