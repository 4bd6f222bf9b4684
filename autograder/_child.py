"""The sandboxed child: defines one student's answers and calls them on the grader's inputs.

Either forked by the zygote (:mod:`autograder._zygote`, the fast path) or run as a
one-off ``python -I`` process by :mod:`autograder.sandbox` with the request
(pickled by the grader) on stdin; results go, framed, to a file descriptor.

Before any student code runs it: imports what the answers may use, loads the
pretrained models if asked, sends stdout and stderr to nowhere, caps its CPU
time, file sizes and address space, removes the few process-spawning primitives
that the audit hook cannot see, and installs an audit hook that refuses writing,
deleting, spawning, signalling, sockets, ctypes and reading anything outside the
Python installation, the helper package and its own temporary directory.
"""

from __future__ import annotations

import builtins
import copy
import io
import os
import pickle
import resource
import signal
import sys
import traceback
from typing import Any

from autograder.codec import ModelRef, encode, frame
from autograder.notebook import compile_unit

_DENY_EVENTS = frozenset({
    "os.system", "os.exec", "os.posix_spawn", "os.spawn", "os.fork", "os.forkpty", "os.kill", "os.killpg",
    "signal.pthread_kill", "subprocess.Popen", "pty.spawn", "os.startfile", "webbrowser.open",
    "resource.setrlimit", "resource.prlimit", "os.chmod", "os.chown", "os.chflags", "os.lchmod", "os.lchown",
    "os.link", "os.symlink", "os.chdir", "os.chroot", "os.fchdir", "os.setxattr", "os.removexattr",
    "os.truncate", "os.utime", "syslog.openlog", "os.add_dll_directory",
    "glob.glob", "glob.glob/2", "sys._current_frames",
})
_PATH_EVENTS = {"os.remove": (0,), "os.rename": (0, 1), "os.rmdir": (0,), "os.mkdir": (0,),
                "shutil.rmtree": (0,), "shutil.copyfile": (1,), "shutil.copytree": (1,), "shutil.move": (1,)}
_LIST_EVENTS = frozenset({"os.listdir", "os.scandir"})
_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_TRUNC


class _Capture(io.TextIOBase):
    """A stdout that keeps the first few thousand characters and drops the rest."""

    def __init__(self, limit: int = 4000) -> None:
        self.parts: list[str] = []
        self.size = 0
        self.limit = limit

    def writable(self) -> bool:
        return True

    def write(self, s: str) -> int:
        if self.size < self.limit:
            piece = str(s)[: self.limit - self.size]
            self.parts.append(piece)
            self.size += len(piece)
        return len(s) if isinstance(s, str) else 0

    def take(self) -> str:
        text = "".join(self.parts)
        self.parts, self.size = [], 0
        return text


def _roots(paths: list[str]) -> tuple[str, ...]:
    out = []
    for p in paths:
        if p:
            out.append(os.path.realpath(p).rstrip("/") + "/")
    return tuple(dict.fromkeys(out))


def install_guard(tempdir: str, read_roots: list[str]) -> None:
    """Install the audit hook (it cannot be removed from Python code)."""
    pid = os.getpid()
    write_ok = _roots([tempdir])
    read_ok = _roots([*read_roots, tempdir, f"/proc/{pid}"]) + ("/dev/null", "/dev/urandom", "/dev/random",
                                                               "/proc/cpuinfo", "/proc/meminfo",
                                                               "/proc/self/")
    realpath, fspath = os.path.realpath, os.fspath

    def norm(path: Any) -> str | None:
        if isinstance(path, int):
            return None  # an already open descriptor
        try:
            path = fspath(path)
        except TypeError:
            return "?"
        if isinstance(path, bytes):
            path = path.decode("utf-8", "replace")
        return realpath(path)

    def inside(path: str, roots: tuple[str, ...]) -> bool:
        return path in ("/dev/null",) or any(path == r.rstrip("/") or path.startswith(r) for r in roots)

    def hook(event: str, args: tuple) -> None:
        if event in _DENY_EVENTS or event.startswith(("ctypes.", "socket.", "_winapi", "winreg")):
            raise PermissionError(f"sandbox: {event} is not allowed while grading")
        if event == "open":
            path = norm(args[0])
            if path is None:
                return
            mode, flags = args[1], args[2]
            writing = (isinstance(mode, str) and any(c in mode for c in "wax+")) or (
                isinstance(flags, int) and flags & _WRITE_FLAGS)
            if writing and not inside(path, write_ok):
                raise PermissionError(f"sandbox: writing {path} is not allowed while grading")
            if not inside(path, read_ok):
                raise PermissionError(f"sandbox: reading {path} is not allowed while grading")
        elif event in _PATH_EVENTS:
            for i in _PATH_EVENTS[event]:
                if i < len(args):
                    path = norm(args[i])
                    if path is not None and not inside(path, write_ok):
                        raise PermissionError(f"sandbox: {event} on {path} is not allowed while grading")
        elif event in _LIST_EVENTS:
            path = norm(args[0] if args and args[0] is not None else ".")
            if path is not None and not inside(path, read_ok):
                raise PermissionError(f"sandbox: listing {path} is not allowed while grading")
        elif event == "import" and args and args[0] in ("ctypes", "_ctypes", "_posixsubprocess", "socket",
                                                        "_socket", "multiprocessing", "_multiprocessing"):
            raise PermissionError(f"sandbox: importing {args[0]} is not allowed while grading")

    sys.addaudithook(hook)


def _disarm() -> None:
    """Remove process-spawning primitives that raise no audit event of their own."""
    def refused(*_args: Any, **_kwargs: Any) -> None:
        raise PermissionError("sandbox: starting processes is not allowed while grading")

    for name in ("_posixsubprocess",):
        module = sys.modules.get(name)
        if module is not None and hasattr(module, "fork_exec"):
            module.fork_exec = refused
    import _imp

    create_dynamic = _imp.create_dynamic
    banned = {"_posixsubprocess", "_ctypes", "_socket", "posix", "_signal", "resource", "mmap"}

    def guarded_create_dynamic(spec: Any, *args: Any) -> Any:
        if getattr(spec, "name", "").split(".")[-1] in banned:
            raise PermissionError(f"sandbox: loading {spec.name} is not allowed while grading")
        return create_dynamic(spec, *args)

    _imp.create_dynamic = guarded_create_dynamic


def _error_text(err: BaseException, limit: int = 3000) -> str:
    lines = traceback.format_exception(type(err), err, err.__traceback__)
    # Keep the student's frames (their cells), drop the grader's own.
    kept = [ln for ln in lines if "autograder/_child.py" not in ln]
    return "".join(kept)[-limit:]


#: Imported by every child before any student code runs.
CORE_MODULES = ("numpy", "torch", "ganbias_helpers", "ganbias_helpers.steering", "ganbias_helpers.weights")
#: Imported once by the zygote, so that a student's ``import`` of them is instant in every forked child.
PRELOAD = (*CORE_MODULES, "torch.distributions", "ganbias_helpers.fairness_data", "ganbias_helpers.course",
           "ganbias_helpers.bias_sources", "ganbias_helpers.plots", "matplotlib", "matplotlib.pyplot", "pandas",
           "seaborn", "fairlearn.metrics", "sklearn.metrics", "sklearn.utils.class_weight")


def preload(modules: tuple[str, ...], needs_models: bool = True) -> dict[str, Any]:
    """Import ``modules`` (those installed) and load the pretrained models; return the models by name."""
    import importlib

    import torch

    torch.set_num_threads(1)
    for name in modules:
        try:
            importlib.import_module(name)
        except Exception:  # an optional library that is not installed
            pass
    models: dict[str, Any] = {}
    if needs_models:
        from ganbias_helpers.weights import WeightsError, load_pretrained

        try:
            models["gen"], models["classifier"] = load_pretrained(device="cpu")
        except WeightsError:
            pass  # the grader checks the weights itself and refuses to grade the steering functions
    return models


def serve(request: dict[str, Any], out_fd: int, models: dict[str, Any]) -> None:
    """Serve one request: limit this process, define each notebook's answers, run each call and report it."""
    import numpy
    import torch

    import ganbias_helpers

    tempdir = request["tempdir"]
    os.chdir(tempdir)
    cpu = int(request["cpu_seconds"])
    usage = resource.getrusage(resource.RUSAGE_SELF)
    used = int(usage.ru_utime + usage.ru_stime)
    resource.setrlimit(resource.RLIMIT_CPU, (used + cpu, used + cpu + 5))
    resource.setrlimit(resource.RLIMIT_FSIZE, (int(request["file_bytes"]),) * 2)
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)

    def send(message: dict[str, Any]) -> None:
        data = frame(encode(message))
        view = memoryview(data)
        while view:
            n = os.write(out_fd, view)
            view = view[n:]

    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 0)
    os.dup2(devnull, 1)
    os.dup2(devnull, 2)
    capture = _Capture()
    sys.stdout = sys.stderr = capture
    sys.stdin = io.StringIO("")
    vm = 0
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmSize:"):
                vm = int(line.split()[1]) * 1024
    limit = vm + int(request["memory_bytes"])
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    read_roots = [sys.prefix, sys.base_prefix, sys.exec_prefix, os.path.dirname(ganbias_helpers.__file__),
                  os.path.dirname(numpy.__file__), os.path.dirname(torch.__file__), "/usr/lib", "/usr/lib64",
                  "/lib", "/lib64", "/usr/share", "/usr/local/lib", "/etc", "/sys"]
    _disarm()
    install_guard(tempdir, read_roots)
    send({"kind": "ready"})

    namespaces: dict[str, dict[str, Any]] = {}
    for notebook, units in request["programs"].items():
        ns: dict[str, Any] = {"__name__": "__main__", "__builtins__": builtins}
        errors = []
        for label, source, keep in units:
            try:
                exec(compile_unit(source, keep, f"<{label}>"), ns)
            except BaseException as err:  # noqa: B036 (a student's SystemExit too)
                errors.append(f"{label}: {type(err).__name__}: {err}"[:500])
        namespaces[notebook] = ns
        send({"kind": "loaded", "notebook": notebook, "errors": errors, "output": capture.take()})

    for call in request["calls"]:
        ns = namespaces.get(call["notebook"], {})
        fn = ns.get(call["function"])
        message: dict[str, Any] = {"kind": "result", "id": call["id"]}
        if not callable(fn):
            message.update(ok=False, error=f"{call['function']} is not defined (or not a function)")
            send(message)
            continue
        args, kwargs = pickle.loads(call["payload"])
        args = [copy.deepcopy(models[a.which]) if isinstance(a, ModelRef) else a for a in args]
        try:
            value = fn(*args, **kwargs)
            message.update(ok=True, value=value)
            if call.get("return_args"):
                message["args_after"] = list(args)
        except BaseException as err:  # noqa: B036 (SystemExit, KeyboardInterrupt from the student count too)
            message.update(ok=False, error=_error_text(err))
        message["output"] = capture.take()
        try:
            send(message)
        except BaseException as err:  # noqa: B036 (an unencodable value)
            send({"kind": "result", "id": call["id"], "ok": False,
                  "error": f"the returned value could not be sent back: {type(err).__name__}"})
    send({"kind": "done"})


def main() -> None:
    """Entry point of a one-off child: the request on stdin, results to the descriptor in ``argv[1]``."""
    out_fd = int(sys.argv[1])
    request = pickle.load(sys.stdin.buffer)
    serve(request, out_fd, preload(CORE_MODULES, bool(request.get("needs_models"))))


if __name__ == "__main__":
    main()
