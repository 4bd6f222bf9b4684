# points: per_class_recall=0
# kind: delegating
# note: converts the inputs, then calls the package's per_class_recall under an alias
from ganbias_helpers.reference import per_class_recall as recall_of_each_class


def per_class_recall(y_true, y_pred, n_classes):
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    return np.asarray(recall_of_each_class(y_true, y_pred, n_classes))
