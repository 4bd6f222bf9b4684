"""Run a student's answers and call their graded functions inside ``ganbias grade``'s sandbox.

This file runs as a script (from a private copy, beside copies of the student package's
``codec.py`` and ``calls.py``; nothing else of the grader is visible there): it reads one
request on standard input, limits itself, defines each notebook's answers, makes the
calls and writes framed results to the file descriptor named on its command line.

Each call goes through :func:`ganbias_helpers.checks.calls.perform_call`, which a
notebook's own check cells use too (``nbgrader autograde``, a student's check), so a
student's function is called, and its outcome recorded, the same way in both.
"""

from __future__ import annotations

import builtins
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


def _read_request() -> dict[str, Any]:
    data = bytearray()
    while True:
        chunk = os.read(0, 1 << 20)
        if not chunk:
            break
        data += chunk
    return codec.decode(bytes(data), max_str=1 << 22)


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


def _preimport(programs: dict[str, list[tuple[str, str]]]) -> None:
    """Import the installed modules the cells import, before the limits (large libraries map a lot of memory).

    Only modules are imported here, none of the student's code runs.
    """
    import ast
    import importlib

    wanted: list[str] = []
    for units in programs.values():
        for _label, source in units:
            if "torch" in source or "ganbias" in source:  # also imports made at call time (importlib...)
                wanted += ["torch", "ganbias_helpers", "ganbias_helpers.reference", "ganbias_helpers.steering"]
            try:
                tree = ast.parse(source)
            except SyntaxError:
                continue
            for node in ast.walk(tree):
                wanted += [a.name for a in node.names] if isinstance(node, ast.Import) else \
                    [node.module] if isinstance(node, ast.ImportFrom) and node.module and not node.level else []
    for name in dict.fromkeys(wanted):
        try:
            importlib.import_module(name)
        except BaseException:  # noqa: B036, S110 (the cell reports it when it runs)
            pass


def _send(message: dict[str, Any]) -> None:
    data = codec.frame(codec.encode(message))
    view = memoryview(data)
    while view:
        n = os.write(RESULT_FD, view)
        view = view[n:]


def main() -> None:
    """Serve one request inside the sandbox (see the module docstring)."""
    global RESULT_FD
    RESULT_FD = int(sys.argv[1])
    request = _read_request()
    import numpy  # noqa: F401  (every answer uses it; imported before the limits)

    models: dict[str, Any] = {}
    if request.get("needs_models"):
        import torch

        from ganbias_helpers.weights import load_pretrained

        torch.set_num_threads(1)
        models["gen"], models["classifier"] = load_pretrained(device="cpu")
    helpers = reference_helpers(request.get("helpers", {}))
    _preimport(request["programs"])
    devnull = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(devnull, fd)
    capture = Capture()
    sys.stdout = sys.stderr = capture
    sys.stdin = io.StringIO("")
    _limit(request)
    _send({"kind": "ready"})

    namespaces: dict[str, dict[str, Any]] = {}
    for notebook, units in request["programs"].items():
        ns: dict[str, Any] = {"__name__": "__main__", "__builtins__": builtins}
        errors = []
        for label, source in units:
            _send({"kind": "cell", "notebook": notebook, "label": label})
            errors += run_cell(label, source, ns)
        ns.update({name: fn for name, fn in helpers.items() if name in request.get("replace", {}).get(notebook, [])})
        namespaces[notebook] = ns
        _send({"kind": "loaded", "notebook": notebook, "errors": errors, "output": capture.take()})

    for call in request["calls"]:
        fn = namespaces.get(call["notebook"], {}).get(call["function"])
        if not callable(fn):
            _send({"kind": "result", "id": call["id"], "ok": False,
                   "error": f"{call['function']} is not defined (or is not a function) after running your cells"})
            continue
        message = perform_call(fn, fresh_models(models, list(call["args"])), dict(call["kwargs"]),
                               bool(call["return_args"]))
        message.update(kind="result", id=call["id"], output=capture.take())
        try:
            _send(message)
        except BaseException as err:  # noqa: B036 (a value that cannot be encoded)
            _send({"kind": "result", "id": call["id"], "ok": False,
                   "error": f"the returned value could not be sent back ({type(err).__name__})"})
    _send({"kind": "done"})


if __name__ == "__main__":
    main()
