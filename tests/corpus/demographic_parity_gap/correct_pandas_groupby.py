# points: demographic_parity_gap=1
# kind: correct
# note: pandas: the mean prediction per group with groupby, then max - min
def demographic_parity_gap(y_true, y_pred, group):
    rates = pd.Series(np.asarray(y_pred), dtype=float).groupby(np.asarray(group)).mean()
    return float(rates.max() - rates.min())
