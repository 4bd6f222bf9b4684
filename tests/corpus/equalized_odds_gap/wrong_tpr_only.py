# points: equalized_odds_gap=0
# kind: wrong
# note: only the true positive rate gap (that is equal opportunity); the false positive rates are left out
# message: you compared only true positive rates
def equalized_odds_gap(y_true, y_pred, group):
    y_true, y_pred, group = np.asarray(y_true), np.asarray(y_pred), np.asarray(group)
    rates = [y_pred[(group == g) & (y_true == 1)].mean() for g in np.unique(group)]
    return float(max(rates) - min(rates))
