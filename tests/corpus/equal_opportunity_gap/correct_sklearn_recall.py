# points: equal_opportunity_gap=1
# kind: correct
# note: the true positive rate of each group is sklearn's recall_score on that group's examples
from sklearn.metrics import recall_score


def equal_opportunity_gap(y_true, y_pred, group):
    y_true, y_pred, group = np.asarray(y_true), np.asarray(y_pred), np.asarray(group)
    tprs = [recall_score(y_true[group == g], y_pred[group == g], zero_division=0) for g in np.unique(group)]
    return float(max(tprs) - min(tprs))
