"""Late with no penalty (issue 25): nbgrader's ``timestamp.txt`` says 3 days late, but the notebook sits in a
subfolder holding an earlier ``timestamp.txt`` of the student's own.

The grader looked for the timestamp from the notebook's folder upwards and read the student's. Now it reads only the
submission's folder and its assignment folder, where nbgrader writes it. The answer itself is right.
"""

import os

from _common import fair_answer


def lay_out(folder):
    """nbgrader's layout (``<student>/ganbias/timestamp.txt``), the notebook moved into ``ganbias/sub/`` beside an
    early ``timestamp.txt``."""
    assignment = os.path.join(folder, "ganbias")
    sub = os.path.join(assignment, "sub")
    os.makedirs(sub)
    os.rename(os.path.join(folder, "04_fairness.ipynb"), os.path.join(sub, "04_fairness.ipynb"))
    with open(os.path.join(assignment, "timestamp.txt"), "w") as f:
        f.write("2026-12-05 10:00:00.000000 UTC")
    with open(os.path.join(sub, "timestamp.txt"), "w") as f:
        f.write("2026-11-30 10:00:00.000000 UTC")


def demographic_parity_gap(y_true, y_pred, group):
    return fair_answer(y_true, y_pred, group)
