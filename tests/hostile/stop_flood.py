"""The batch stops: well-formed junk messages written forever to every descriptor from 3 to 50 (the result
channel among them), so that a reader whose deadline restarts with each message never gives up."""

import os
import time

from _common import old_frame


def demographic_parity_gap(y_true, y_pred, group):
    junk = old_frame({"kind": "progress", "note": "still working" * 50})
    end = time.monotonic() + 600
    while time.monotonic() < end:
        for fd in range(3, 51):
            try:
                os.write(fd, junk)
            except OSError:
                pass
        time.sleep(0.2)
    return -1.0
