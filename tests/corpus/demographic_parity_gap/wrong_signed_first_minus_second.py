# points: demographic_parity_gap=0
# kind: wrong
# note: first group's rate minus the second's, without abs and ignoring any further groups: negative when the second group is favoured
# message: your gap is signed
def demographic_parity_gap(y_true, y_pred, group):
    y_pred, group = np.asarray(y_pred), np.asarray(group)
    groups = np.unique(group)
    return float(y_pred[group == groups[0]].mean() - y_pred[group == groups[1]].mean())
