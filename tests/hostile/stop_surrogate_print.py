"""The batch stops (issue 25): a failing answer prints lone surrogates and raises with one in its message.

The grader wrote the feedback as strict UTF-8: the write raised, ``ganbias grade`` exited with no grades.csv, and every
student after this one was lost, on every rerun (``--force`` too).
"""


def demographic_parity_gap(y_true, y_pred, group):
    print("\udcff a lone surrogate \ud800")
    raise ValueError("\udcff\udcfe")
