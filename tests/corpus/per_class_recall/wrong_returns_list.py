# points: per_class_recall=0
# kind: wrong
# note: right numbers, but returns a Python list; the text asks for a NumPy array
# message: the recalls should be a numpy array, got list
def per_class_recall(y_true, y_pred, n_classes):
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    recalls = []
    for c in range(n_classes):
        mask = y_true == c
        recalls.append(float((y_pred[mask] == c).mean()) if mask.any() else 0.0)
    return recalls
