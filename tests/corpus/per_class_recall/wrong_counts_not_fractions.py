# points: per_class_recall=0
# kind: wrong
# note: returns how many examples of each class were predicted correctly, not the fraction
# message: you returned counts of correct predictions
def per_class_recall(y_true, y_pred, n_classes):
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    return np.array([np.sum((y_true == c) & (y_pred == c)) for c in range(n_classes)], dtype=float)
