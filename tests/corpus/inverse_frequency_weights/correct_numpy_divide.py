# points: inverse_frequency_weights=1
# kind: correct
# note: NumPy: np.bincount and np.divide(where=counts > 0), turned into a float32 tensor at the end
def inverse_frequency_weights(labels, n_classes):
    labels = np.asarray(labels).astype(np.int64).ravel()
    counts = np.bincount(labels, minlength=n_classes).astype(np.float64)
    weights = np.divide(len(labels), n_classes * counts, out=np.zeros(n_classes), where=counts > 0)
    return torch.tensor(weights, dtype=torch.float32)
