# points: equalized_odds_gap=0
# kind: wrong
# note: indexes group == 0 and group == 1 only: other groups are ignored and string labels give nan
# message: you compared only the first two groups
def equalized_odds_gap(y_true, y_pred, group):
    y_true, y_pred, group = np.asarray(y_true), np.asarray(y_pred), np.asarray(group)
    def rate(g, truth):
        return y_pred[(group == g) & (y_true == truth)].mean()
    tpr_gap = abs(rate(1, 1) - rate(0, 1))
    fpr_gap = abs(rate(1, 0) - rate(0, 0))
    return float(max(tpr_gap, fpr_gap))
