# points: per_class_recall=0
# kind: wrong
# note: divides by the number of predictions of class c instead of the number of true examples of c: precision, not recall
# message: you computed precision
def per_class_recall(y_true, y_pred, n_classes):
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    recalls = []
    for c in range(n_classes):
        predicted_c = y_pred == c
        recalls.append(float((y_true[predicted_c] == c).mean()) if predicted_c.any() else 0.0)
    return np.array(recalls)
