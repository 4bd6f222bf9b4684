# points: equalized_odds_gap=0
# kind: wrong
# note: uses precision, P(Y = 1 | prediction 1), in place of the true positive rate, P(prediction 1 | Y = 1)
def equalized_odds_gap(y_true, y_pred, group):
    y_true, y_pred, group = np.asarray(y_true), np.asarray(y_pred), np.asarray(group)
    precisions, fprs = [], []
    for g in np.unique(group):
        in_group = group == g
        precisions.append(y_true[in_group & (y_pred == 1)].mean())
        fprs.append(y_pred[in_group & (y_true == 0)].mean())
    return float(max(max(precisions) - min(precisions), max(fprs) - min(fprs)))
