"""Writing outside: create a file relative to a descriptor of the target folder (``dir_fd``); the check
treats the relative name as if it were inside the sandbox folder."""

import os

from _common import fair_answer

CANARY = "@CANARY@"


def demographic_parity_gap(y_true, y_pred, group):
    proc = os.open("/proc/self", os.O_RDONLY | os.O_DIRECTORY)
    try:
        folder = os.open("root" + CANARY, os.O_RDONLY | os.O_DIRECTORY, dir_fd=proc)
    finally:
        os.close(proc)
    try:
        fd = os.open("PWNED.txt", os.O_CREAT | os.O_WRONLY, 0o644, dir_fd=folder)
    finally:
        os.close(folder)
    os.write(fd, b"written from a student's answer\n")
    os.close(fd)
    return fair_answer(y_true, y_pred, group)
