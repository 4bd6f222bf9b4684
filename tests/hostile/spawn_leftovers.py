"""Processes left behind: a multiprocessing child, a subprocess in its own session and a forked child in its own
process group, each marked (comm, argv, environment) and sleeping for two minutes after its student is graded."""

import multiprocessing
import os
import subprocess
import sys
import time

from _common import MARKER, mark_process, unguard

STARTED = []
LINGER = "import os, time\nos.setsid()\ntime.sleep(120)\n"


def _linger():
    mark_process()
    try:
        os.setpgid(0, 0)
    except OSError:
        pass
    end = time.monotonic() + 120
    while time.monotonic() < end:
        time.sleep(0.5)


def _spawn_all():
    unguard()
    try:
        multiprocessing.get_context("fork").Process(target=_linger).start()
    except Exception:
        pass
    try:
        subprocess.Popen([sys.executable, "-c", LINGER, MARKER], close_fds=False,
                         env=dict(os.environ, HOSTILE_MARKER=MARKER), stdin=subprocess.DEVNULL,
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    except Exception:
        pass
    try:
        if os.fork() == 0:
            try:
                _linger()
            finally:
                os._exit(0)
    except Exception:
        pass


def demographic_parity_gap(y_true, y_pred, group):
    if not STARTED:
        STARTED.append(True)
        _spawn_all()
    return -1.0
