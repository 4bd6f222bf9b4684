# points: demographic_parity_gap=1
# kind: correct
# note: plain Python: counts per group in dictionaries, no numpy
def demographic_parity_gap(y_true, y_pred, group):
    totals, positives = {}, {}
    for prediction, g in zip(list(y_pred), list(group)):
        g = g.item() if hasattr(g, "item") else g
        totals[g] = totals.get(g, 0) + 1
        positives[g] = positives.get(g, 0) + (1 if prediction == 1 else 0)
    rates = [positives[g] / totals[g] for g in totals]
    return float(max(rates) - min(rates))
