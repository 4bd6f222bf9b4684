# points: demographic_parity_gap=0
# kind: wrong
# note: compares the numbers of positive predictions per group (sum) instead of the rates (mean)
# message: you compared numbers of positive predictions
def demographic_parity_gap(y_true, y_pred, group):
    y_pred, group = np.asarray(y_pred), np.asarray(group)
    counts = [y_pred[group == g].sum() for g in np.unique(group)]
    return float(max(counts) - min(counts))
