# points: equalized_odds_gap=0
# kind: wrong
# note: averages the true positive rate gap and the false positive rate gap instead of taking the larger one
# message: you averaged the two gaps
def equalized_odds_gap(y_true, y_pred, group):
    y_true, y_pred, group = np.asarray(y_true), np.asarray(y_pred), np.asarray(group)
    gaps = []
    for truth in (1, 0):
        rates = [y_pred[(group == g) & (y_true == truth)].mean() for g in np.unique(group)]
        gaps.append(max(rates) - min(rates))
    return float(np.mean(gaps))
