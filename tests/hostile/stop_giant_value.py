"""The batch stops: a 24 MB value. Returned as it is, and also written straight to the result channel as one
24 MB message whose value refers 2000 times to the same array bytes (48 GB if decoded naively)."""

import numpy as np
from _common import old_frame, write_to_pipes

STARTED = []
SIZE = 25_165_824  # 24 MiB (a literal: the grader keeps only literal constants of a notebook)


def _send_amplified():
    value = {"t": "list", "v": [{"t": "nd", "dtype": "uint8", "shape": [SIZE], "b": 0}] * 2000}
    message = old_frame({"kind": "result", "id": "demographic_parity_gap#0", "ok": True, "value": value},
                        [bytes(SIZE)])
    write_to_pipes(message)


def demographic_parity_gap(y_true, y_pred, group):
    if not STARTED:
        STARTED.append(True)
        _send_amplified()
    return np.zeros(SIZE // 8)
