"""The batch stops (issue 25): an answer cell whose import starts a long-running program (a Jupyter server).

The runner imported every module the cells name *before* the limits and before saying "ready", so the program ran
there: the student became ``grader_error``, was retried at 120 s on every rerun, and was "not gradable" on
PrairieLearn. Now only the course's libraries are imported early; this import runs in its cell, under the limits.
The answer is right only when the program's module had been imported before the cell ran (by the grader, before
the limits): what a student controls ran outside the limits.
"""

import sys

from _common import fair_answer

BEFORE = []


def _before_this_cell(fn):
    """Note, as the cell defines the answer, whether the import below had already run (before the limits)."""
    BEFORE.append("notebook.app" in sys.modules)
    return fn


@_before_this_cell
def demographic_parity_gap(y_true, y_pred, group):
    if BEFORE and BEFORE[0]:
        return fair_answer(y_true, y_pred, group)
    return -1.0


import notebook.__main__  # noqa: E402, F401  (Jupyter's server: sys.exit(main()))
