"""Reading the grader's argv or environment: /proc/<pid>/cmdline or environ of every ancestor, then of every
process. Right answers only when a secret the test put there (in --out's name, or in an environment
variable of the grader) was found."""

import os

from _common import fair_answer, parent_of, unguard

#: ``"cmdline"`` or ``"environ"``.
WHAT = "@WHAT@"
SECRET = "@SECRET@"


def _leaks(pid):
    try:
        with open(f"/proc/{pid}/{WHAT}", "rb") as f:
            return SECRET.encode() in f.read()
    except OSError:
        return False


def demographic_parity_gap(y_true, y_pred, group):
    unguard()
    pid, seen = os.getppid(), set()
    while pid > 0 and pid not in seen:
        seen.add(pid)
        if _leaks(pid):
            return fair_answer(y_true, y_pred, group)
        pid = parent_of(pid)
    for name in os.listdir("/proc"):
        if name.isdigit() and _leaks(name):
            return fair_answer(y_true, y_pred, group)
    raise PermissionError(f"the grader's {WHAT} was not readable")
