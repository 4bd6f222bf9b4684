# points: demographic_parity_gap=0
# kind: wrong
# note: returns 1 - min/max of the rates (a disparate-impact ratio) instead of max minus min
# message: you returned a ratio
def demographic_parity_gap(y_true, y_pred, group):
    y_pred, group = np.asarray(y_pred), np.asarray(group)
    rates = [y_pred[group == g].mean() for g in np.unique(group)]
    return float(1 - min(rates) / max(rates))
