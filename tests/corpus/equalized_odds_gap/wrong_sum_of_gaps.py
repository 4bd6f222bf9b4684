# points: equalized_odds_gap=0
# kind: wrong
# note: adds the two gaps together instead of taking the larger one (can exceed 1)
# message: you added the two gaps
def equalized_odds_gap(y_true, y_pred, group):
    y_true, y_pred, group = np.asarray(y_true), np.asarray(y_pred), np.asarray(group)
    total = 0.0
    for truth in (0, 1):
        rates = [y_pred[(group == g) & (y_true == truth)].mean() for g in np.unique(group)]
        total += max(rates) - min(rates)
    return float(total)
