# points: equal_opportunity_gap=1
# kind: correct
# note: counts true positives and positives per group in one pass with dictionaries
def equal_opportunity_gap(y_true, y_pred, group):
    positives, hits = {}, {}
    for truth, prediction, g in zip(np.asarray(y_true).tolist(), np.asarray(y_pred).tolist(), np.asarray(group).tolist()):
        positives.setdefault(g, 0)
        hits.setdefault(g, 0)
        if truth == 1:
            positives[g] += 1
            hits[g] += prediction == 1
    tprs = [hits[g] / positives[g] if positives[g] else 0.0 for g in positives]
    return float(max(tprs) - min(tprs))
