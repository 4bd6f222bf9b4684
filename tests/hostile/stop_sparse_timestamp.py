"""The grader's memory (issue 25): a sparse 1 GB ``timestamp.txt`` where nbgrader writes it.

With ``--due`` the grader read it whole before keeping 200 characters: 2.7 GB. Now at most 200 bytes are read.
"""

import os


def lay_out(folder):
    """A timestamp followed by a gigabyte of holes."""
    path = os.path.join(folder, "timestamp.txt")
    with open(path, "w") as f:
        f.write("2026-12-01 10:00:00 UTC")
    os.truncate(path, 2**30)


def demographic_parity_gap(y_true, y_pred, group):
    return -1.0
