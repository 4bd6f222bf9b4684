"""Helpers shared by the hostile answers in this folder.

tests/test_hostile.py pastes this file in place of the line ``from _common import ...`` of each
attack, so that every hostile answer cell is one self-contained piece of student code. Each placeholder (a
quoted upper-case name between two at signs) is replaced by the test with the repr of a value (a path, a pid,
a marker).
Nothing here is an attack on its own: it is what a hostile student would write once and reuse.
"""

import json
import os
import stat
import struct
import sys

import numpy as np

#: The test process (pid, and start time from /proc/PID/stat): every pid outside its subtree is left alone,
#: since the machine is shared (see test_hostile.py).
PROTECT_PID = "@PROTECT_PID@"
PROTECT_START = "@PROTECT_START@"
#: The test process's pid namespace (``/proc/self/ns/pid``): in another one, every visible pid is fair game.
PROTECT_PIDNS = "@PROTECT_PIDNS@"
#: Written into /proc/self/comm, argv or the environment of every process an attack leaves behind.
MARKER = "@MARKER@"


def unguard():
    """Switch off the grader's old in-process audit hook by rebinding the module globals it reads at call time."""
    for module in list(sys.modules.values()):
        if isinstance(getattr(module, "_DENY_EVENTS", None), frozenset):
            module._DENY_EVENTS = frozenset()
            module._PATH_EVENTS = {}
            module._LIST_EVENTS = frozenset()
            module._WRITE_FLAGS = 0
            module.any = lambda *args: True


def fair_answer(y_true, y_pred, group):
    """A right demographic parity gap (from fairlearn, as a student could compute it): an attack's reward."""
    from fairlearn.metrics import demographic_parity_difference

    return float(demographic_parity_difference(y_true, y_pred, sensitive_features=group))


def old_frame(message, blobs=()):
    """One message in the old grader's wire format (autograder/codec.py at the time of issue 10): a length-framed
    JSON header (plain strings tagged as such) followed by raw array bytes."""
    header = json.dumps({k: {"t": "str", "v": v} if isinstance(v, str) else v for k, v in message.items()}).encode()
    head = json.dumps({"h": len(header), "sizes": [len(b) for b in blobs]}).encode()
    payload = struct.pack("<I", len(head)) + head + header + b"".join(blobs)
    return struct.pack("<Q", len(payload)) + payload


def write_to_pipes(data):
    """Write ``data`` to every pipe and socket among this process's file descriptors 3 to 50 (the result channel is
    one of them): how an answer forges what the grader reads."""
    for fd in range(3, 51):
        try:
            mode = os.fstat(fd).st_mode
            if stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode):
                os.write(fd, data)
        except OSError:
            pass


def solution_function(notebook_text, name="demographic_parity_gap"):
    """The function ``name`` defined by the answer cell of a solution notebook's JSON text."""
    for cell in json.loads(notebook_text)["cells"]:
        if cell.get("metadata", {}).get("nbgrader", {}).get("grade_id") == name:
            namespace = {"np": np}
            exec("".join(cell["source"]), namespace)
            return namespace[name]
    raise LookupError(f"no answer cell {name} in what was read")


def stat_fields(pid):
    """The fields of /proc/PID/stat after the command name (state is [0], the parent [1], start time [19])."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return []


def parent_of(pid):
    """The parent pid of ``pid`` from /proc (0 when unknown)."""
    fields = stat_fields(pid)
    return int(fields[1]) if len(fields) > 1 else 0


def sees_test_process():
    """Whether the test process itself is visible here (then only its descendants are fair game)."""
    fields = stat_fields(PROTECT_PID)
    return len(fields) > 19 and int(fields[19]) == PROTECT_START


def in_other_pid_namespace():
    """Whether this process sees another pid namespace than the test's (then no host process is visible)."""
    try:
        return os.readlink("/proc/self/ns/pid") != PROTECT_PIDNS
    except OSError:
        return False


def fair_game():
    """The pids an attack may signal or write to: the strict descendants of the test process, or, from another
    pid namespace that cannot see the test, every pid there. Keeps the attacks on this shared machine inside the
    test's own process tree."""
    try:
        parents = {int(n): parent_of(int(n)) for n in os.listdir("/proc") if n.isdigit()}
    except OSError:
        return set()
    parents.pop(os.getpid(), None)
    if not sees_test_process():
        return set(parents) if in_other_pid_namespace() else set()
    out = set()
    for pid in parents:
        up, seen = parents[pid], set()
        while up > 1 and up not in seen and up != PROTECT_PID:
            seen.add(up)
            up = parents.get(up, 0)
        if up == PROTECT_PID:
            out.add(pid)
    return out


def ancestors():
    """This process's ancestors that are fair game, nearest first."""
    allowed, out, pid = fair_game(), [], parent_of(os.getpid())
    while pid in allowed and pid not in out:
        out.append(pid)
        pid = parent_of(pid)
    return out


def mark_process():
    """Name this process after MARKER (/proc/self/comm, 15 characters), so that the test can find it later."""
    try:
        with open("/proc/self/comm", "w") as f:
            f.write(MARKER[:15])
    except OSError:
        pass
