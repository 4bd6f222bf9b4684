"""The zygote: a process that imports the heavy libraries once and forks one sandboxed child per submission.

Started by :mod:`autograder.sandbox` (``python -I``, minimal environment). It reads
one JSON line per job on stdin, ``{"request": PATH, "fifo": PATH}``, and answers
``{"pid": PID}``. For each job it forks a small monitor that starts a new session,
forks the child (which runs :func:`autograder._child.serve` on the pickled request,
then removes it), waits for it and writes its exit status to the result FIFO as a
last message. Killing the monitor's process group ends both. The zygote itself
holds no expected answer and runs no student code.
"""

from __future__ import annotations

import json
import os
import pickle
import signal
import sys

from autograder._child import PRELOAD, preload, serve
from autograder.codec import encode, frame


def _monitor(job: dict, models: dict) -> None:
    os.setsid()
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    fd = os.open(job["fifo"], os.O_WRONLY)
    child = os.fork()
    if child == 0:
        code = 0
        try:
            with open(job["request"], "rb") as f:
                request = pickle.load(f)
            os.unlink(job["request"])
            serve(request, fd, models)
        except BaseException:  # noqa: B036 (whatever happens, the child must not return into the zygote's loop)
            code = 70
        os._exit(code)
    _, status = os.waitpid(child, 0)
    os.write(fd, frame(encode({"kind": "exit", "status": os.waitstatus_to_exitcode(status)})))


def main() -> None:
    """Preload, say ready, then fork a monitored child per job line until stdin closes."""
    models = preload(PRELOAD, True)
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # monitors are reaped automatically
    out = sys.stdout
    out.write(json.dumps({"ready": True}) + "\n")
    out.flush()
    for line in sys.stdin:
        job = json.loads(line)
        pid = os.fork()
        if pid == 0:
            try:
                _monitor(job, models)
            finally:
                os._exit(0)
        out.write(json.dumps({"pid": pid}) + "\n")
        out.flush()


if __name__ == "__main__":
    main()
