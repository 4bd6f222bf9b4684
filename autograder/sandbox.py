"""Run one student's answers in a separate, limited process and collect what they return.

The grader (parent) sends the answer programs and the inputs of each call; the
child (:mod:`autograder._child`) defines the functions and calls them; the parent
decodes the returned values with :mod:`autograder.codec` (data only, never
pickle) and compares them itself, so no expected value ever reaches the child.

A call that hangs, crashes the child, exits it or exhausts its limits fails on its
own: the child is killed and a fresh one carries on with the remaining calls.
"""

from __future__ import annotations

import atexit
import json
import os
import pickle
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from .codec import MAX_MESSAGE_BYTES, DecodeError, decode
from .notebook import AnswerProgram
from .spec import repo_root


class SandboxError(RuntimeError):
    """The sandbox itself could not run (not the student's fault)."""


@dataclass(frozen=True)
class Limits:
    """Resource limits of one student's child process.

    Attributes:
        call_timeout_s: Wall-clock seconds for one call (and for defining one notebook's functions).
        startup_timeout_s: Wall-clock seconds for the child to import its libraries.
        cpu_seconds: CPU seconds for the whole child.
        memory_bytes: Address space the student's code may add to the child's after its imports.
        file_bytes: Largest file the child may write (in its own temporary folder).
        max_restarts: How many times a fresh child is started after a hang or a crash.
        use_zygote: Fork children from a process that has imported the libraries once (fast); False starts
            a fresh ``python -I`` per child (slower, no shared parent). ``grade_batch`` turns it off
            when a single student is left to grade, where one fresh child is quicker.
    """

    call_timeout_s: float = 30.0
    startup_timeout_s: float = 600.0
    cpu_seconds: int = 300
    memory_bytes: int = 2 * 2**30
    file_bytes: int = 16 * 2**20
    max_restarts: int = 16
    use_zygote: bool = True


@dataclass
class Call:
    """One call of a student's function.

    Attributes:
        id: Unique within the submission.
        notebook: Which notebook's namespace holds the function.
        function: Function name.
        args: Positional arguments (:class:`~autograder.codec.ModelRef` for the models).
        kwargs: Keyword arguments.
        return_args: Also send back the arguments after the call (to detect in-place changes).
    """

    id: str
    notebook: str
    function: str
    args: tuple = ()
    kwargs: dict[str, Any] = field(default_factory=dict)
    return_args: bool = False


@dataclass
class CallResult:
    """What came back from one call.

    Attributes:
        status: ``"ok"`` (returned), ``"error"`` (raised), ``"timeout"``, ``"crashed"`` or ``"skipped"``.
        value: The decoded return value (``status == "ok"``).
        args_after: The arguments after the call, when asked for.
        error: Traceback or reason, for the feedback.
        output: What the call printed (truncated).
    """

    status: str
    value: Any = None
    args_after: list | None = None
    error: str = ""
    output: str = ""

    @property
    def ok(self) -> bool:
        """True when the function returned."""
        return self.status == "ok"


@dataclass
class SandboxReport:
    """Everything one submission's run produced.

    Attributes:
        results: Call id -> result.
        load_errors: Notebook -> errors raised while defining its functions.
        restarts: Fresh children started after a hang or crash.
        seconds: Wall-clock time of the run.
    """

    results: dict[str, CallResult] = field(default_factory=dict)
    load_errors: dict[str, list[str]] = field(default_factory=dict)
    restarts: int = 0
    seconds: float = 0.0


def _child_env(tempdir: str) -> dict[str, str]:
    return {
        "PATH": "/usr/bin:/bin", "HOME": tempdir, "TMPDIR": tempdir, "LANG": "C.UTF-8",
        "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1",
        "CUDA_VISIBLE_DEVICES": "", "MPLBACKEND": "Agg",
    }


_LAUNCH = "import sys; sys.path.append({root!r}); from autograder.{module} import main; main()"
_ROOT = str(repo_root())


class _Zygote:
    """The shared zygote process (one per grader process), started on first use."""

    _lock = threading.Lock()
    _instance: _Zygote | None = None

    def __init__(self, startup_timeout_s: float) -> None:
        self.home = tempfile.mkdtemp(prefix="ganbias-zygote-")
        self.lock = threading.Lock()
        self.proc = subprocess.Popen(
            [sys.executable, "-I", "-c", _LAUNCH.format(root=_ROOT, module="_zygote")],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, cwd=self.home,
            env=_child_env(self.home), start_new_session=True,
        )
        if self._readline(startup_timeout_s).get("ready") is not True:
            self.close()
            raise SandboxError("the sandbox's zygote process did not start")

    def _readline(self, timeout: float) -> dict[str, Any]:
        assert self.proc.stdout is not None
        fd = self.proc.stdout.fileno()
        line = b""
        deadline = time.monotonic() + timeout
        while not line.endswith(b"\n"):
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([fd], [], [], left)[0]:
                return {}
            chunk = os.read(fd, 1)
            if not chunk:
                return {}
            line += chunk
        try:
            answer = json.loads(line)
        except ValueError:
            return {}
        return answer if isinstance(answer, dict) else {}

    def spawn(self, request_path: str, fifo_path: str) -> int:
        """Fork a monitored child for one request; return the monitor's pid (also its process group)."""
        with self.lock:
            try:
                assert self.proc.stdin is not None
                self.proc.stdin.write((json.dumps({"request": request_path, "fifo": fifo_path}) + "\n").encode())
                self.proc.stdin.flush()
            except (BrokenPipeError, OSError) as err:
                raise SandboxError(f"the sandbox's zygote is gone ({err})") from err
            pid = self._readline(30.0).get("pid")
        if not isinstance(pid, int):
            raise SandboxError("the sandbox's zygote did not fork a child")
        return pid

    def close(self) -> None:
        """Stop the zygote and remove its folder."""
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pass
        for stream in (self.proc.stdin, self.proc.stdout):
            if stream is not None:
                try:
                    stream.close()
                except OSError:
                    pass
        shutil.rmtree(self.home, ignore_errors=True)

    @classmethod
    def get(cls, startup_timeout_s: float) -> _Zygote:
        """The running zygote, (re)started if needed."""
        with cls._lock:
            if cls._instance is None or cls._instance.proc.poll() is not None:
                if cls._instance is not None:
                    cls._instance.close()
                cls._instance = _Zygote(startup_timeout_s)
            return cls._instance

    @classmethod
    def shutdown(cls) -> None:
        """Stop the zygote if one runs (at exit)."""
        with cls._lock:
            if cls._instance is not None:
                cls._instance.close()
                cls._instance = None


atexit.register(_Zygote.shutdown)


def warm_up(limits: Limits | None = None) -> threading.Thread | None:
    """Start the zygote in the background (while the grader prepares its expected values)."""
    limits = limits or Limits()
    if not limits.use_zygote:
        return None

    def start() -> None:
        try:
            _Zygote.get(limits.startup_timeout_s)
        except SandboxError:
            pass  # reported again, with its reason, when the first child is needed

    thread = threading.Thread(target=start, daemon=True)
    thread.start()
    return thread


class _Child:
    """One running child process and its result channel."""

    def __init__(self, request: dict[str, Any], limits: Limits) -> None:
        self.tempdir = tempfile.mkdtemp(prefix="ganbias-sandbox-")
        request = dict(request, tempdir=self.tempdir, cpu_seconds=limits.cpu_seconds,
                       memory_bytes=limits.memory_bytes, file_bytes=limits.file_bytes)
        self.buffer = bytearray()
        self.eof = False
        self.exit_status: int | None = None
        self.proc: subprocess.Popen | None = None
        if limits.use_zygote:
            try:
                zygote = _Zygote.get(limits.startup_timeout_s)
                request_path = os.path.join(self.tempdir, "request.pkl")
                with open(os.open(request_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb") as f:
                    pickle.dump(request, f, protocol=pickle.HIGHEST_PROTOCOL)
                fifo = os.path.join(self.tempdir, "results.fifo")
                os.mkfifo(fifo, 0o600)
                self.fd = os.open(fifo, os.O_RDWR | os.O_NONBLOCK)
            except BaseException:
                shutil.rmtree(self.tempdir, ignore_errors=True)
                raise
            try:
                try:
                    self.pid = zygote.spawn(request_path, fifo)
                except SandboxError:  # the zygote died: start a fresh one, once
                    self.pid = _Zygote.get(limits.startup_timeout_s).spawn(request_path, fifo)
            except SandboxError:
                os.close(self.fd)
                shutil.rmtree(self.tempdir, ignore_errors=True)
                raise
            return
        read_fd, write_fd = os.pipe()
        root = _ROOT
        try:
            self.proc = subprocess.Popen(
                [sys.executable, "-I", "-c", _LAUNCH.format(root=root, module="_child"), str(write_fd)],
                stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                pass_fds=(write_fd,), cwd=self.tempdir, env=_child_env(self.tempdir), start_new_session=True,
            )
        except OSError as err:
            os.close(read_fd)
            os.close(write_fd)
            shutil.rmtree(self.tempdir, ignore_errors=True)
            raise SandboxError(f"could not start the sandbox: {err}") from err
        os.close(write_fd)
        self.fd = read_fd
        self.pid = self.proc.pid
        payload = pickle.dumps(request, protocol=pickle.HIGHEST_PROTOCOL)
        self.writer = threading.Thread(target=self._feed, args=(payload,), daemon=True)
        self.writer.start()

    def _feed(self, payload: bytes) -> None:
        try:
            assert self.proc is not None and self.proc.stdin is not None
            self.proc.stdin.write(payload)
            self.proc.stdin.close()
        except (BrokenPipeError, OSError, ValueError):
            pass

    def next_message(self, deadline: float) -> dict[str, Any] | str:
        """The next decoded message, or ``"timeout"``, ``"eof"``, ``"too large"`` or ``"garbled"``."""
        while True:
            if len(self.buffer) >= 8:
                size = int.from_bytes(self.buffer[:8], "little")
                if size > MAX_MESSAGE_BYTES:
                    return "too large"
                if len(self.buffer) >= 8 + size:
                    data = bytes(self.buffer[8:8 + size])
                    del self.buffer[:8 + size]
                    try:
                        message = decode(data)
                    except DecodeError:
                        return "garbled"
                    if message.get("kind") == "exit" and isinstance(message.get("status"), int) and self.proc is None:
                        self.exit_status, self.eof = message["status"], True
                        return "eof"
                    return message
            if self.eof:
                return "eof"
            left = deadline - time.monotonic()
            if left <= 0:
                return "timeout"
            ready, _, _ = select.select([self.fd], [], [], min(left, 1.0))
            if ready:
                try:
                    chunk = os.read(self.fd, 1 << 20)
                except BlockingIOError:
                    continue
                if not chunk:
                    self.eof = True
                self.buffer += chunk

    def exit_reason(self) -> str:
        """Why the child ended, in words (waits briefly for it)."""
        if self.proc is None:
            if self.exit_status is None:
                return "it stopped answering"
            code = self.exit_status
        else:
            try:
                code = self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                return "it stopped answering"
        if code < 0:
            sig = -code
            if sig == signal.SIGXCPU:
                return "it ran out of CPU time"
            if sig == signal.SIGKILL:
                return "it was killed (out of memory?)"
            try:
                return f"it was ended by signal {signal.Signals(sig).name}"
            except ValueError:
                return f"it was ended by signal {sig}"
        return f"the process exited with status {code} (exit() or os._exit() called?)"

    def close(self) -> None:
        """Kill the child's whole process group and remove its temporary folder."""
        try:
            os.killpg(self.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            try:
                os.kill(self.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        os.close(self.fd)
        if self.proc is None:
            shutil.rmtree(self.tempdir, ignore_errors=True)
            return
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pass
        if self.proc.stdin is not None:
            try:
                self.proc.stdin.close()
            except OSError:
                pass
        shutil.rmtree(self.tempdir, ignore_errors=True)


def run_submission(programs: dict[str, AnswerProgram], calls: list[Call], limits: Limits | None = None,
                   needs_models: bool = False) -> SandboxReport:
    """Define each notebook's answers in a sandboxed child and run ``calls`` there.

    Args:
        programs: Notebook stem -> its answer program (from :func:`autograder.notebook.build_program`).
        calls: The calls to make, in order.
        limits: Resource limits (default :class:`Limits`).
        needs_models: Load the pretrained models in the child (for :class:`~autograder.codec.ModelRef`).

    Returns:
        A :class:`SandboxReport` with one result per call.

    Raises:
        SandboxError: If the sandbox itself cannot start (never for anything a student did).
    """
    limits = limits or Limits()
    report = SandboxReport()
    started = time.monotonic()
    pending = [c for c in calls if c.notebook in programs]
    for call in calls:
        if call.notebook not in programs:
            report.results[call.id] = CallResult("skipped", error=f"no program for {call.notebook}")
    while pending:
        wanted = [nb for nb in programs if any(c.notebook == nb for c in pending)]
        request = {
            "programs": {nb: [(u.label, u.source, u.keep) for u in programs[nb].units] for nb in wanted},
            "calls": [{"id": c.id, "notebook": c.notebook, "function": c.function, "return_args": c.return_args,
                       "payload": pickle.dumps((tuple(c.args), dict(c.kwargs)))} for c in pending],
            "needs_models": needs_models,
        }
        child = _Child(request, limits)
        try:
            pending = _serve(child, pending, wanted, limits, report)
        finally:
            child.close()
        if pending:
            report.restarts += 1
            if report.restarts > limits.max_restarts:
                for call in pending:
                    report.results[call.id] = CallResult("skipped", error="not run: too many hangs or crashes")
                break
    report.seconds = time.monotonic() - started
    return report


def _fail_function(pending: list[Call], report: SandboxReport, status: str, why: str) -> list[Call]:
    """Fail the first pending call with ``why``, skip the rest of that function; return what is left."""
    first = pending[0]
    report.results[first.id] = CallResult(status, error=why)
    rest = []
    for call in pending[1:]:
        if call.notebook == first.notebook and call.function == first.function:
            report.results[call.id] = CallResult("skipped", error=f"not run: an earlier check of "
                                                                  f"{first.function} failed ({status})")
        else:
            rest.append(call)
    return rest


def _serve(child: _Child, pending: list[Call], notebooks: list[str], limits: Limits,
           report: SandboxReport) -> list[Call]:
    """Drive one child until it is done or fails; return the calls still to run."""
    msg = child.next_message(time.monotonic() + limits.startup_timeout_s)
    if not isinstance(msg, dict) or msg.get("kind") != "ready":
        raise SandboxError(f"the sandbox did not start ({msg if isinstance(msg, str) else msg.get('kind')}; "
                           f"{child.exit_reason() if msg == 'eof' else 'no answer'})")
    to_load = list(notebooks)  # in the order the child defines them
    while to_load:
        msg = child.next_message(time.monotonic() + limits.call_timeout_s)
        if isinstance(msg, dict) and msg.get("kind") == "loaded" and msg.get("notebook") in to_load:
            to_load.remove(msg["notebook"])
            errors = msg.get("errors")
            report.load_errors[msg["notebook"]] = [str(e) for e in errors] if isinstance(errors, list) else []
            continue
        if isinstance(msg, dict):
            continue  # anything else the student's code wrote to the pipe
        why = ("defining your functions took longer than "
               f"{limits.call_timeout_s:.0f} s" if msg == "timeout" else f"defining your functions failed: "
               f"{child.exit_reason() if msg == 'eof' else msg}")
        culprit = to_load[0]  # the notebook being defined; the ones after it get a fresh child
        for call in pending:
            if call.notebook == culprit:
                report.results[call.id] = CallResult("crashed" if msg != "timeout" else "timeout", error=why)
        return [c for c in pending if c.notebook != culprit]
    by_id = {c.id: c for c in pending}
    while pending:
        msg = child.next_message(time.monotonic() + limits.call_timeout_s)
        if isinstance(msg, dict):
            kind, call_id = msg.get("kind"), msg.get("id")
            if kind == "done":
                break
            if kind != "result" or call_id not in by_id or call_id in report.results:
                continue
            ok = msg.get("ok") is True
            report.results[call_id] = CallResult(
                "ok" if ok else "error", value=msg.get("value"),
                args_after=msg.get("args_after") if isinstance(msg.get("args_after"), list) else None,
                error=str(msg.get("error", ""))[:4000], output=str(msg.get("output", ""))[:4000])
            pending = [c for c in pending if c.id not in report.results]
            continue
        if msg == "timeout":
            return _fail_function(pending, report, "timeout",
                                  f"did not finish within {limits.call_timeout_s:.0f} s (an endless loop?)")
        if msg == "too large":
            return _fail_function(pending, report, "crashed", "returned a value too large to check")
        if msg == "garbled":
            return _fail_function(pending, report, "crashed", "its result could not be read back")
        return _fail_function(pending, report, "crashed", f"the grading process stopped: {child.exit_reason()}")
    for call in pending:
        report.results[call.id] = CallResult("crashed", error="no result came back")
    return []
