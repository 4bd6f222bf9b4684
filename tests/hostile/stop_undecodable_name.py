"""The batch stops (issue 25): beside the notebook, a file whose name is not valid UTF-8 (``b"\\xff\\xfe.ipynb"``).

It went into the student's problems and broke the write of grades.csv on every rerun: the batch could never finish
while that submission was in it. The answer itself is plain (and wrong).
"""

import os


def lay_out(folder):
    """Add the file with an undecodable name to the student's folder."""
    with open(os.path.join(os.fsencode(folder), b"\xff\xfe-notes.ipynb"), "wb") as f:
        f.write(b'{"cells": []}')


def demographic_parity_gap(y_true, y_pred, group):
    return -1.0
