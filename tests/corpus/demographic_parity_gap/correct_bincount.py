# points: demographic_parity_gap=1
# kind: correct
# note: vectorised: np.unique(return_inverse=True), then np.bincount with the predictions as weights over the group sizes; returns np.ptp's np.float64, which is a subclass of Python float (so it is a Python float, though not exactly of type float)
def demographic_parity_gap(y_true, y_pred, group):
    _, which = np.unique(np.asarray(group), return_inverse=True)
    positives = np.bincount(which.ravel(), weights=np.asarray(y_pred, dtype=float).ravel())
    sizes = np.bincount(which.ravel())
    return np.ptp(positives / sizes)
