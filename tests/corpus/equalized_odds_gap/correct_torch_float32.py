# points: equalized_odds_gap=1
# kind: correct
# note: torch float32 rates (about 1e-8 away from float64), converted with float() at the end; an empty (group, label) cell gets rate 0 as the text says
def equalized_odds_gap(y_true, y_pred, group):
    truth = torch.as_tensor(np.asarray(y_true))
    pred = torch.as_tensor(np.asarray(y_pred), dtype=torch.float32)
    group = np.asarray(group)
    gaps = []
    for label in (1, 0):
        rates = []
        for g in np.unique(group):
            mask = torch.from_numpy(group == g) & (truth == label)
            rates.append(pred[mask].mean() if mask.any() else torch.zeros(()))
        rates = torch.stack(rates)
        gaps.append(rates.max() - rates.min())
    return float(torch.stack(gaps).max())
