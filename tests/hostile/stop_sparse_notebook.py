"""Time outside the budget (issue 25): a sparse notebook of 1 TiB beside the real one.

The grader hashed it whole (for its resume fingerprint) before its size check refused it: minutes of reading holes
outside any budget (97 s for 64 GB). Now a file is looked at first and one over the size limit is never read.
"""

import os


def lay_out(folder):
    """A 1 TiB notebook made of holes."""
    with open(os.path.join(folder, "huge.ipynb"), "wb") as f:
        f.truncate(2**40)


def demographic_parity_gap(y_true, y_pred, group):
    return -1.0
