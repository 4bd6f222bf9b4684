"""Writing outside: open the grader's own code (autograder/*.py, an editable install) for writing, which would
change how every later run grades.

A real attacker appends code. This one writes zero bytes (so a grader that lets it through keeps its code) and
is rewarded with right answers only when a file could be opened for writing: its points are the proof.
"""

import os

from _common import fair_answer, unguard

#: Absolute paths of the grader's modules.
GRADER_FILES = "@GRADER_FILES@"


def _open_for_append(path):
    try:  # through /proc/self/root and a directory descriptor: the check sees a name inside the sandbox folder
        proc = os.open("/proc/self", os.O_RDONLY | os.O_DIRECTORY)
        try:
            return os.open("root" + path, os.O_WRONLY | os.O_APPEND, dir_fd=proc)
        finally:
            os.close(proc)
    except OSError:
        pass
    unguard()  # or with the audit hook switched off
    return os.open(path, os.O_WRONLY | os.O_APPEND)


def demographic_parity_gap(y_true, y_pred, group):
    opened = 0
    for path in GRADER_FILES:
        try:
            fd = _open_for_append(path)
        except OSError:
            continue
        os.write(fd, b"")
        os.close(fd)
        opened += 1
    if not opened:
        raise PermissionError("the grader's code is not writable")
    return fair_answer(y_true, y_pred, group)
