# points: per_class_recall=1
# kind: correct
# note: vectorised with np.bincount: correct predictions per class over examples per class, np.divide(where=...) leaves 0 for an absent class
def per_class_recall(y_true, y_pred, n_classes):
    y_true, y_pred = np.asarray(y_true).astype(int), np.asarray(y_pred).astype(int)
    hits = np.bincount(y_true[y_true == y_pred], minlength=n_classes).astype(float)
    totals = np.bincount(y_true, minlength=n_classes).astype(float)
    return np.divide(hits, totals, out=np.zeros(n_classes), where=totals > 0)
