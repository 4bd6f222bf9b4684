# points: equalized_odds_gap=1
# kind: correct
# note: sklearn's confusion_matrix per group (labels=[0, 1]) gives each group's true and false positive rates
from sklearn.metrics import confusion_matrix


def equalized_odds_gap(y_true, y_pred, group):
    y_true, y_pred, group = np.asarray(y_true), np.asarray(y_pred), np.asarray(group)
    tprs, fprs = [], []
    for g in np.unique(group):
        mask = group == g
        tn, fp, fn, tp = confusion_matrix(y_true[mask], y_pred[mask], labels=[0, 1]).ravel()
        tprs.append(tp / (tp + fn) if tp + fn else 0.0)
        fprs.append(fp / (fp + tn) if fp + tn else 0.0)
    return float(max(max(tprs) - min(tprs), max(fprs) - min(fprs)))
