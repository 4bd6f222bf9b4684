# points: equalized_odds_gap=1
# kind: correct
# note: a small module-level helper class computes the rates, and a constant computed from an import (TINY = np.finfo(np.float64).tiny) guards the divisions
TINY = np.finfo(np.float64).tiny


class GroupRates:
    """Positive-prediction rate among the examples with a given true label, per group."""

    def __init__(self, y_true, y_pred, group):
        self.y_true, self.y_pred, self.group = np.asarray(y_true), np.asarray(y_pred), np.asarray(group)

    def rates(self, label):
        out = []
        for g in np.unique(self.group):
            mask = (self.group == g) & (self.y_true == label)
            out.append((self.y_pred[mask] == 1).sum() / max(mask.sum(), TINY))
        return out


def equalized_odds_gap(y_true, y_pred, group):
    table = GroupRates(y_true, y_pred, group)
    tpr, fpr = table.rates(1), table.rates(0)
    return float(max(max(tpr) - min(tpr), max(fpr) - min(fpr)))
