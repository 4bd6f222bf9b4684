# points: equal_opportunity_gap=0
# kind: wrong
# note: assumes exactly two groups: compares only the first two groups from np.unique, ignoring any further ones
# message: you compared only the first two groups
def equal_opportunity_gap(y_true, y_pred, group):
    y_true, y_pred, group = np.asarray(y_true), np.asarray(y_pred), np.asarray(group)
    a, b = np.unique(group)[:2]
    tpr_a = y_pred[(group == a) & (y_true == 1)].mean()
    tpr_b = y_pred[(group == b) & (y_true == 1)].mean()
    return float(abs(tpr_a - tpr_b))
