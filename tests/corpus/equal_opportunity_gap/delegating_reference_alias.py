# points: equal_opportunity_gap=0
# kind: delegating
# note: imports ganbias_helpers.reference.equal_opportunity_gap under another name and returns what it gives
from ganbias_helpers.reference import equal_opportunity_gap as _package_gap


def equal_opportunity_gap(y_true, y_pred, group):
    return _package_gap(y_true, y_pred, group)
