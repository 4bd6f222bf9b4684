# points: equal_opportunity_gap=1
# kind: correct
# note: torch float32 throughout (masks, means, max and min), about 1e-8 away from float64, returned with .item(); a group without positives gets rate 0 as the text says
def equal_opportunity_gap(y_true, y_pred, group):
    truth = torch.as_tensor(np.asarray(y_true)) == 1
    pred = torch.as_tensor(np.asarray(y_pred), dtype=torch.float32)
    group = np.asarray(group)
    tprs = []
    for g in np.unique(group):
        mask = torch.from_numpy(group == g) & truth
        tprs.append(pred[mask].mean() if mask.any() else torch.tensor(0.0))
    tprs = torch.stack(tprs)
    return (tprs.max() - tprs.min()).item()
