# points: equalized_odds_gap=0
# kind: delegating
# note: a one-line wrapper around ganbias_helpers.reference.equalized_odds_gap
import ganbias_helpers.reference


def equalized_odds_gap(y_true, y_pred, group):
    return ganbias_helpers.reference.equalized_odds_gap(y_true, y_pred, group)
