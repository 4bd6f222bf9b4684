# points: demographic_parity_gap=0
# kind: wrong
# note: assumes two groups labelled 0 and 1 (abs of rate(group == 1) - rate(group == 0)): wrong with three or more groups, nan with string labels
# message: you compared only the first two groups
def demographic_parity_gap(y_true, y_pred, group):
    y_pred, group = np.asarray(y_pred), np.asarray(group)
    return float(abs(y_pred[group == 1].mean() - y_pred[group == 0].mean()))
