# points: per_class_recall=0
# kind: wrong
# note: loops over np.unique(y_true) instead of range(n_classes), so an absent class is missing and the array is too short
# message: one per class in range(n_classes)
def per_class_recall(y_true, y_pred, n_classes):
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    return np.array([(y_pred[y_true == c] == c).mean() for c in np.unique(y_true)])
