"""The batch stops (issue 25): an answer cell whose import starts a long-running program (a Jupyter server).

The runner imported every module the cells name *before* the limits and before saying "ready", so the server ran
there: the student became ``grader_error``, was retried at 120 s on every rerun, and was "not gradable" on
PrairieLearn. Now only the course's libraries are imported early; this import runs in the cell, under the limits.
"""

import notebook.__main__  # noqa: F401


def demographic_parity_gap(y_true, y_pred, group):
    return -1.0
