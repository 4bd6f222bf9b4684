# points: per_class_recall=0
# kind: wrong
# note: no guard for a class with no examples: its recall is the mean of an empty array, nan (the text requires 0.0)
# message: the recalls contain nan
def per_class_recall(y_true, y_pred, n_classes):
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    return np.array([(y_pred[y_true == c] == c).mean() for c in range(n_classes)])
