# points: equal_opportunity_gap=0
# kind: wrong
# note: masks with y_true == 0, so it compares false positive rates instead of true positive rates
# message: you compared false positive rates
def equal_opportunity_gap(y_true, y_pred, group):
    y_true, y_pred, group = np.asarray(y_true), np.asarray(y_pred), np.asarray(group)
    rates = [y_pred[(group == g) & (y_true == 0)].mean() for g in np.unique(group)]
    return float(max(rates) - min(rates))
