# points: demographic_parity_gap=0
# kind: wrong
# note: right value, but computed on float32 arrays and returned as np.float32, which is not a Python float (the text asks for a Python float; np.float32 is no subclass of float)
# message: should return a float (for example float(gap)), not float32
def demographic_parity_gap(y_true, y_pred, group):
    y_pred, group = np.asarray(y_pred, dtype=np.float32), np.asarray(group)
    rates = np.array([y_pred[group == g].mean() for g in np.unique(group)], dtype=np.float32)
    return rates.max() - rates.min()
