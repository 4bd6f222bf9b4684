"""Run a student's answers and call their graded functions inside ``ganbias grade``'s sandbox.

This file runs as a script (from a private copy, beside copies of the student package's
``codec.py`` and ``calls.py``; nothing else of the grader is visible there): it reads a
request on standard input, limits itself, defines each notebook's answers, makes the
calls and writes framed results to the file descriptor named on its command line. The
request comes in parts, each sent once the calls before it have returned (hidden calls
after visible ones; the reference helpers, and the notebooks defined again with them, once
the student's own functions are done).

Each call goes through :func:`ganbias_helpers.checks.calls.perform_call`, which a
notebook's own check cells use too (``nbgrader autograde``, a student's check), so a
student's function is called, and its outcome recorded, the same way in both.
"""

from __future__ import annotations

import builtins
import gc
import io
import os
import sys
from typing import Any

if __package__:  # imported as part of the grader
    from ganbias_helpers.checks import codec
    from ganbias_helpers.checks.calls import error_text, fresh_models, perform_call, reference_helpers
else:  # run as a script inside the sandbox, beside copies of codec.py and calls.py
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import codec  # type: ignore[no-redef]
    from calls import error_text, fresh_models, perform_call, reference_helpers  # type: ignore[no-redef]

#: Characters of a student's printed output kept per call (shown, cut short, in the feedback).
OUTPUT_CHARS = 1500
#: File descriptor of the result channel (set from the command line in the sandbox).
RESULT_FD = -1
#: Libraries that may be imported before the limits, when the student's cells import them (large ones map a lot
#: of memory). Only their public modules: a name with a part starting with ``_`` (``notebook.__main__``, a
#: private module) or any other library is imported by the student's cell itself, under the limits.
PREIMPORT = frozenset({"numpy", "torch", "torchvision", "scipy", "sklearn", "pandas", "matplotlib", "fairlearn",
                       "PIL", "ganbias_helpers"})


class Capture(io.TextIOBase):
    """A stdout that keeps the first :data:`OUTPUT_CHARS` characters and drops the rest."""

    def __init__(self, limit: int = OUTPUT_CHARS) -> None:
        self.parts: list[str] = []
        self.size = 0
        self.limit = limit

    def writable(self) -> bool:
        return True

    def write(self, s: str) -> int:
        text = s if isinstance(s, str) else str(s)
        if self.size < self.limit:
            piece = text[: self.limit - self.size]
            self.parts.append(piece)
            self.size += len(piece)
        return len(text)

    def take(self) -> str:
        text = "".join(self.parts)
        self.parts, self.size = [], 0
        return text


def run_cell(label: str, source: str, ns: dict[str, Any]) -> list[str]:
    """Run one cell's top-level statements one by one in ``ns``; return an error line per failed statement.

    An error in one statement does not lose the definitions after it (they may not
    depend on it); each error names the cell and line.
    """
    import ast

    errors = []
    for node in ast.parse(source, filename=f"<{label}>").body:
        try:
            exec(compile(ast.Module(body=[node], type_ignores=[]), f"<{label}>", "exec"), ns)
        except BaseException as err:  # noqa: B036 (a student's SystemExit too)
            last = error_text(err, 600).strip().splitlines()[-1]
            errors.append(f"{label}, line {node.lineno}: {last}")
    return errors


# ---------------------------------------------------------------- inside the sandbox


def _read_exactly(fd: int, n: int) -> bytes:
    data = bytearray()
    while len(data) < n:
        chunk = os.read(fd, min(n - len(data), 1 << 20))
        if not chunk:
            raise EOFError("the request ended early")
        data += chunk
    return bytes(data)


def _read_request(fd: int = 0) -> dict[str, Any]:
    """One framed part of the grader's request (each later part comes once the calls before it have returned)."""
    size = int.from_bytes(_read_exactly(fd, 8), "little")
    return codec.decode(_read_exactly(fd, size), max_str=1 << 22, max_header=1 << 30, max_values=1 << 40)


def _limit(request: dict[str, Any]) -> None:
    import resource

    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    resource.setrlimit(resource.RLIMIT_FSIZE, (int(request["file_bytes"]),) * 2)
    cpu = int(request["cpu_seconds"])
    used = resource.getrusage(resource.RUSAGE_SELF)
    spent = int(used.ru_utime + used.ru_stime) + 1
    resource.setrlimit(resource.RLIMIT_CPU, (spent + cpu, spent + cpu + 2))
    vm = 0
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmSize:"):
                vm = int(line.split()[1]) * 1024
    limit = vm + int(request["memory_bytes"])
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    resource.setrlimit(resource.RLIMIT_NPROC, (0, 0))  # no new processes or threads (not for uid 0)


def preimport_names(programs: dict[str, list[tuple[str, str]]]) -> list[str]:
    """The modules to import before the limits: those of :data:`PREIMPORT` that the cells import.

    Nothing else a student names is imported before the limits (a module that starts a program when imported,
    a package of their own): the cell imports it when it runs.
    """
    import ast

    wanted: list[str] = []
    for units in programs.values():
        for _label, source in units:
            if "torch" in source or "ganbias" in source:  # also imports made at call time (importlib...)
                wanted += ["torch", "ganbias_helpers", "ganbias_helpers.reference", "ganbias_helpers.steering"]
            try:
                tree = ast.parse(source)
            except (SyntaxError, ValueError, RecursionError, MemoryError):
                continue
            for node in ast.walk(tree):
                wanted += [a.name for a in node.names] if isinstance(node, ast.Import) else \
                    [node.module] if isinstance(node, ast.ImportFrom) and node.module and not node.level else []
    return _preimportable(wanted)


def _preimportable(names: list[str]) -> list[str]:
    """``names`` that may be imported before the limits: public modules of :data:`PREIMPORT`, each once."""
    return [name for name in dict.fromkeys(names) if isinstance(name, str) and name.split(".")[0] in PREIMPORT
            and all(part.isidentifier() and not part.startswith("_") for part in name.split("."))]


def _preimport(programs: dict[str, list[tuple[str, str]]], also: list[str]) -> None:
    """Import :func:`preimport_names` and ``also`` before the limits (none of the student's code runs here).

    ``also``: what the reference helpers of a later part import (only module names: the helpers come later).
    """
    import importlib

    for name in _preimportable(preimport_names(programs) + list(also)):
        try:
            importlib.import_module(name)
        except BaseException:  # noqa: B036, S110 (the cell reports it when it runs)
            pass


def watched_args(args: list[Any], entries: list[dict[str, Any]], shared: Any) -> list[Any]:
    """``args`` with each watched argument rebuilt on the memory shared with the grader (see sandbox.Call.watch).

    The grader put the argument's bytes there and reads them back after the call: whether the function changed
    them is the grader's finding, not this process's.
    """
    import math

    import numpy as np

    args = list(args)
    for entry in entries:
        i, offset = int(entry["i"]), int(entry["offset"])
        if not 0 <= i < len(args) or not entry["nbytes"]:
            continue
        if entry["kind"] == "model":
            for p in args[i].parameters():
                p.data = sys.modules["torch"].frombuffer(shared, dtype=p.dtype, count=p.numel(),
                                                         offset=offset).view_as(p)
                offset += p.numel() * p.element_size()
        elif entry["kind"] == "torch":
            torch = sys.modules["torch"]
            shape = [int(n) for n in entry["shape"]]
            tensor = torch.frombuffer(shared, dtype=getattr(torch, entry["dtype"]), count=math.prod(shape),
                                      offset=offset).reshape(shape)
            args[i] = tensor.requires_grad_(True) if entry.get("grad") else tensor
        elif entry["kind"] == "nd":
            shape = [int(n) for n in entry["shape"]]
            args[i] = np.frombuffer(shared, dtype=np.dtype(entry["dtype"]), count=math.prod(shape),
                                    offset=offset).reshape(shape)
    return args


def _fresh_keyring() -> None:
    """Join a new, empty session keyring (the grader's is otherwise inherited, and shared by every run)."""
    import ctypes

    try:
        number = {"x86_64": 250, "aarch64": 219}.get(os.uname().machine)  # keyctl
        if number is not None:
            ctypes.CDLL(None, use_errno=True).syscall(number, 1, None)  # KEYCTL_JOIN_SESSION_KEYRING, a new one
    except (OSError, AttributeError):  # no keyrings here: nothing to share either
        pass


def _send(message: dict[str, Any]) -> None:
    data = codec.frame(codec.encode(message))
    view = memoryview(data)
    while view:
        n = os.write(RESULT_FD, view)
        view = view[n:]


def _answer(call: dict[str, Any], namespaces: dict[str, dict[str, Any]], models: dict[str, Any], shared: Any,
            capture: Capture) -> None:
    """Make one call and send its result."""
    fn = namespaces.get(call["notebook"], {}).get(call["function"])
    if not callable(fn):
        _send({"kind": "result", "id": call["id"], "ok": False,
               "error": f"{call['function']} is not defined (or is not a function) after running your cells"})
        return
    args = fresh_models(models, list(call["args"]))
    if call.get("watch") and shared is not None:
        args = watched_args(args, call["watch"], shared)
    message = perform_call(fn, args, dict(call["kwargs"]), bool(call["return_args"]))
    message.update(kind="result", id=call["id"], output=capture.take())
    try:
        _send(message)
    except BaseException as err:  # noqa: B036 (a value that cannot be encoded)
        _send({"kind": "result", "id": call["id"], "ok": False,
               "error": f"the returned value could not be sent back ({type(err).__name__})"})


def main() -> None:
    """Serve one request inside the sandbox (see the module docstring)."""
    global RESULT_FD
    RESULT_FD = int(sys.argv[1])
    watch_fd = int(sys.argv[2]) if len(sys.argv) > 2 else -1
    _fresh_keyring()
    request = _read_request()
    import numpy  # noqa: F401  (every answer uses it; imported before the limits)

    shared = None
    if watch_fd >= 0:
        import mmap

        shared = mmap.mmap(watch_fd, os.fstat(watch_fd).st_size)
        os.close(watch_fd)
    models: dict[str, Any] = {}
    if request.get("needs_models"):
        import torch

        from ganbias_helpers.weights import load_pretrained

        torch.set_num_threads(1)
        models["gen"], models["classifier"] = load_pretrained(device="cpu")
    programs = request["programs"]
    _preimport(programs, request.get("preimport") or [])
    request_fd = os.dup(0)  # the grader sends each later part on it once the calls before it have returned
    devnull = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(devnull, fd)
    capture = Capture()
    sys.stdout = sys.stderr = capture
    sys.stdin = io.StringIO("")
    _limit(request)
    _send({"kind": "ready"})

    namespaces: dict[str, dict[str, Any]] = {}
    part = request
    while True:
        if "load" in part:  # define these notebooks (again), with the part's reference helpers in place
            helpers = reference_helpers(part.get("helpers") or {})
            replace = part.get("replace") or {}
            for notebook in part["load"]:
                ns: dict[str, Any] = {"__name__": "__main__", "__builtins__": builtins}
                if namespaces.pop(notebook, None) is not None:  # the first definition's data: not twice in memory
                    gc.collect()
                errors = []
                for label, source in programs.get(notebook, []):
                    _send({"kind": "cell", "notebook": notebook, "label": label})
                    errors += run_cell(label, source, ns)
                ns.update({name: fn for name, fn in helpers.items() if name in replace.get(notebook, [])})
                namespaces[notebook] = ns
                _send({"kind": "loaded", "notebook": notebook, "errors": errors, "output": capture.take()})
        for call in part["calls"]:
            _answer(call, namespaces, models, shared, capture)
        if not part.get("more"):
            break
        part = _read_request(request_fd)
    _send({"kind": "done"})


if __name__ == "__main__":
    main()
