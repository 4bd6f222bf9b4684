# points: equal_opportunity_gap=0
# kind: wrong
# note: forgets the y_true == 1 condition: the rate over every member of the group, which is demographic parity
# message: that is demographic parity
def equal_opportunity_gap(y_true, y_pred, group):
    y_pred, group = np.asarray(y_pred), np.asarray(group)
    rates = [y_pred[group == g].mean() for g in np.unique(group)]
    return float(max(rates) - min(rates))
