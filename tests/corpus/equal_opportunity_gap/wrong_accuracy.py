# points: equal_opportunity_gap=0
# kind: wrong
# note: compares each group's accuracy (share of correct predictions over all its members) instead of its true positive rate
# message: you compared accuracy
def equal_opportunity_gap(y_true, y_pred, group):
    y_true, y_pred, group = np.asarray(y_true), np.asarray(y_pred), np.asarray(group)
    accuracy = [np.mean(y_pred[group == g] == y_true[group == g]) for g in np.unique(group)]
    return float(max(accuracy) - min(accuracy))
