# points: demographic_parity_gap=1
# kind: correct
# note: rates computed with torch in float32 (differs from the float64 answer by about 1e-8), returned with .item()
def demographic_parity_gap(y_true, y_pred, group):
    predictions = torch.as_tensor(np.asarray(y_pred), dtype=torch.float32)
    group = np.asarray(group)
    rates = torch.stack([predictions[torch.from_numpy(group == g)].mean() for g in np.unique(group)])
    return (rates.max() - rates.min()).item()
