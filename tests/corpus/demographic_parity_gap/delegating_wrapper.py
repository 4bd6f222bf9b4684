# points: demographic_parity_gap=0
# kind: delegating
# note: converts the inputs itself, then hands them to the package's implementation under another name
from ganbias_helpers import reference as course_reference


def demographic_parity_gap(y_true, y_pred, group):
    y_true, y_pred, group = np.asarray(y_true), np.asarray(y_pred), np.asarray(group)
    gap = course_reference.demographic_parity_gap(y_true, y_pred, group)
    return float(gap)
