# points: per_class_recall=1
# kind: correct
# note: torch: one-hot style comparison of every class at once, float32 means, returned as a float32 NumPy array
def per_class_recall(y_true, y_pred, n_classes):
    truth = torch.as_tensor(np.asarray(y_true), dtype=torch.int64)
    pred = torch.as_tensor(np.asarray(y_pred), dtype=torch.int64)
    classes = torch.arange(n_classes)[:, None]
    is_class = truth[None, :] == classes
    hits = (is_class & (pred[None, :] == classes)).sum(dim=1).float()
    totals = is_class.sum(dim=1).float()
    return torch.where(totals > 0, hits / totals.clamp_min(1), torch.zeros(n_classes)).numpy()
