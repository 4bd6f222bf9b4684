# points: equal_opportunity_gap=0
# kind: wrong
# note: uses precision (the share of positive predictions that are truly positive) instead of the true positive rate
# message: you compared precision
def equal_opportunity_gap(y_true, y_pred, group):
    y_true, y_pred, group = np.asarray(y_true), np.asarray(y_pred), np.asarray(group)
    rates = [y_true[(group == g) & (y_pred == 1)].mean() for g in np.unique(group)]
    return float(max(rates) - min(rates))
