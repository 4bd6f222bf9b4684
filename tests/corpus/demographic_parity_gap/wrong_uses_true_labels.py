# points: demographic_parity_gap=0
# kind: wrong
# note: compares the groups' base rates (means of y_true) instead of their positive-prediction rates
# message: you compared the groups' true labels
def demographic_parity_gap(y_true, y_pred, group):
    y_true, group = np.asarray(y_true), np.asarray(group)
    rates = [y_true[group == g].mean() for g in np.unique(group)]
    return float(max(rates) - min(rates))
