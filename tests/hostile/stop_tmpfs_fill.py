"""The machine's memory (issue 25): fill the sandbox's writable folders (files of 8 MiB, under the file size limit).

The sandbox's /tmp was a tmpfs with no size: its pages are not address space, so a student held 3,000 MiB there with
``--memory-mb 256`` (by default up to half the RAM per sandbox, times ``--jobs``); a grader that is not root gave the
student the sandbox's root and /dev too (tmpfs of no size). The answer is right only when more than 256 MiB could be
written: it earns points only where a writable folder of the sandbox has no bound.
"""

import os

from _common import fair_answer

MARKER = "@MARKER@"


def _fill():
    total = 0
    for folder in ("/tmp", "/dev/shm", "/dev", "/", "/run", "/var/tmp", os.getcwd()):
        for i in range(48):
            try:
                with open(os.path.join(folder, f"fill-{MARKER}-{i}"), "wb") as f:
                    for _ in range(8):
                        f.write(bytes(2**20))
                total += 8 * 2**20
            except OSError:
                break
    return total


def demographic_parity_gap(y_true, y_pred, group):
    if _fill() > 256 * 2**20:
        return fair_answer(y_true, y_pred, group)
    return -1.0
