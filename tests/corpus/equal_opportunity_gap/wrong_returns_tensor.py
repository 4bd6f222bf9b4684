# points: equal_opportunity_gap=0
# kind: wrong
# note: right value, but computed in torch and returned as a 0-d torch tensor instead of a Python float (forgot .item())
# message: should return a float (for example float(gap)), not Tensor
def equal_opportunity_gap(y_true, y_pred, group):
    truth = torch.as_tensor(np.asarray(y_true))
    pred = torch.as_tensor(np.asarray(y_pred), dtype=torch.float64)
    group = np.asarray(group)
    rates = torch.stack([pred[torch.from_numpy(group == g) & (truth == 1)].mean() for g in np.unique(group)])
    return rates.max() - rates.min()
