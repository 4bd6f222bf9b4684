# points: inverse_frequency_weights=1
# kind: correct
# note: plain Python: collections.Counter and a loop over the classes, then torch.tensor(..., dtype=torch.float32)
from collections import Counter


def inverse_frequency_weights(labels, n_classes):
    labels = [int(v) for v in np.asarray(labels).ravel()]
    counts = Counter(labels)
    weights = [len(labels) / (n_classes * counts[c]) if counts[c] else 0.0 for c in range(n_classes)]
    return torch.tensor(weights, dtype=torch.float32)
