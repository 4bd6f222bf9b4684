# points: per_class_recall=1
# kind: correct
# note: the diagonal of sklearn's confusion_matrix (labels=range(n_classes)) over its row sums, 0 where a row is empty
from sklearn.metrics import confusion_matrix


def per_class_recall(y_true, y_pred, n_classes):
    matrix = confusion_matrix(np.asarray(y_true), np.asarray(y_pred), labels=list(range(n_classes)))
    totals = matrix.sum(axis=1)
    return np.array([matrix[c, c] / totals[c] if totals[c] else 0.0 for c in range(n_classes)])
