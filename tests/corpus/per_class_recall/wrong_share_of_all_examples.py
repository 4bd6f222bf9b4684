# points: per_class_recall=0
# kind: wrong
# note: divides the correct predictions of class c by the total number of examples instead of by the examples of class c
# message: you divided by all the examples
def per_class_recall(y_true, y_pred, n_classes):
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    return np.array([((y_true == c) & (y_pred == c)).mean() for c in range(n_classes)])
