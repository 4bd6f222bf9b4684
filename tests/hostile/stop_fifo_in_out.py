"""The batch stops: named pipes planted in --out under the fixed temporary names of the grader's atomic
writer (grades.csv.tmp, results/<student>.json.tmp...): writing one blocks forever, as nobody reads it."""

import os

from _common import unguard

OUT = "@OUT@"
STUDENTS = "@STUDENTS@"


def demographic_parity_gap(y_true, y_pred, group):
    unguard()
    planted = ["grades.csv.tmp"] + [f"{folder}/{student}.{ext}.tmp" for student in STUDENTS
                                    for folder, ext in (("results", "json"), ("feedback", "txt"))]
    for name in planted:
        path = os.path.join(OUT, name)
        try:
            os.makedirs(os.path.dirname(path), exist_ok=True)
            os.mkfifo(path)
        except OSError:
            pass
    return -1.0
