"""Writing outside: ``os.mkfifo`` (no audit event) at an absolute path."""

import os

from _common import fair_answer

CANARY = "@CANARY@"


def demographic_parity_gap(y_true, y_pred, group):
    try:
        os.mkfifo(CANARY + "/PWNED.fifo")
    except FileExistsError:  # made by an earlier call
        pass
    return fair_answer(y_true, y_pred, group)
