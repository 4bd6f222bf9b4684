"""The batch stops (found trying issue 25's attacks again): a folder nested 1,100 deep beside the notebook.

The grader walked each student's folder with ``os.walk``, which recurses once per level: a RecursionError in
``discover`` ended ``ganbias grade`` before anyone was graded, on every rerun. Now the walk is a loop that looks
at most a few folders down and reports the rest.
"""

import os


def lay_out(folder):
    """``deep/a/a/.../a``, 1,100 folders (made one by one: os.makedirs recurses too)."""
    path = os.path.join(folder, "deep")
    os.mkdir(path)
    for _ in range(1100):
        path = os.path.join(path, "a")
        os.mkdir(path)


def demographic_parity_gap(y_true, y_pred, group):
    return -1.0
