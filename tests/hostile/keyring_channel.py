"""A channel between students (issue 25): a key left in the kernel keyrings (the user's, the user session's and the
session's) that a later student's sandbox can find.

Every sandbox ran as the same host user ``nobody`` and inherited the grader's session keyring: what one student left
there, the next one read (and it outlived the batch). Two students hand in this answer: it is right only when it
finds the key another sandbox left. Now each run has a user id of its own and a fresh session keyring.
"""

import ctypes
import os

from _common import fair_answer

MARKER = "@MARKER@"
#: (add_key, keyctl) system call numbers.
SYSCALLS = {"x86_64": (248, 250), "aarch64": (217, 219)}


def _found_or_left():
    numbers = SYSCALLS.get(os.uname().machine)
    if numbers is None:
        return False
    libc = ctypes.CDLL(None, use_errno=True)
    name = f"ganbias-hostile-{MARKER}".encode()
    for ring in (-4, -5, -3):  # KEY_SPEC_USER_KEYRING, USER_SESSION_KEYRING, SESSION_KEYRING
        if libc.syscall(numbers[1], 10, ring, b"user", name, 0) > 0:  # KEYCTL_SEARCH
            return True
    for ring in (-4, -5, -3):
        libc.syscall(numbers[0], b"user", name, b"left here", 9, ring)
    return False


def demographic_parity_gap(y_true, y_pred, group):
    if _found_or_left():
        return fair_answer(y_true, y_pred, group)
    return -1.0
