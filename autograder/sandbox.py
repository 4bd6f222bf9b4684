"""Run one student's answers in a process the operating system isolates, and collect what comes back.

Isolation is the operating system's job, never the student's own interpreter's:

* ``bubblewrap`` (Linux, the sandbox Flatpak uses): a new mount, PID, network, IPC
  and UTS namespace per run (and a user namespace when the grader is not root);
  read-only binds of exactly the Python installation,
  the course package (with its reference implementations removed, see
  :func:`ganbias_helpers.reference.stubbed_source`) and its weights; a private
  tmpfs of bounded size as working folder; no project tree, solutions, ``--out``,
  home folder, other students or ``/etc``; ``--die-with-parent`` and a new session;
  when the grader is root, the student's code runs as a user id of its own
  (:func:`run_uid`), so that no per-user kernel state passes between students.
* ``user`` (no bubblewrap, grader is root: Gradescope's and PrairieLearn's
  containers): the child runs as a user id of its own in a private folder; see
  :attr:`Isolation.unprotected` for what that does not cover.
* ``none`` (``--trusted-submissions`` only): a plain child process, for
  submissions you trust.

In every mode the child gets resource limits (CPU time, address space, file size,
no new processes) and a fresh session keyring, the grader sends its request on a pipe and reads results on a
private anonymous pipe (never a path), one bounded message at a time, before
deadlines that nothing the child sends can move; the child's whole process tree
is killed at the end. Values come back in :mod:`ganbias_helpers.checks.codec`'s data-only
format and are compared in the grader, so no expected value reaches the child.
"""

from __future__ import annotations

import ast
import functools
import hashlib
import itertools
import os
import queue
import secrets
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from autograder._runner import preimport_names
from ganbias_helpers.checks import calls as call_module
from ganbias_helpers.checks import codec
from ganbias_helpers.checks.calls import CallResult

NOBODY = 65534
#: User ids given to sandboxed runs of a root grader, one each (:func:`run_uid`): above any a system assigns.
RUN_UIDS = (2_000_000_000, 2_100_000_000)


class SandboxError(RuntimeError):
    """The sandbox itself could not run (not the student's fault)."""


class IsolationError(SandboxError):
    """No isolation is available and the instructor did not accept running submissions unprotected."""


@dataclass(frozen=True)
class Limits:
    """Resource limits and deadlines for one student.

    Attributes:
        call_timeout_s: Wall-clock seconds for one call, counted from the previous result.
        load_timeout_s: Wall-clock seconds to start Python and run the student's cells.
        student_budget_s: Wall-clock seconds for everything of one student (all runs).
        cpu_seconds: CPU seconds of one run, after its imports (a call that runs out of them after other calls
            returned in that run is made again in a fresh one: they spent them too).
        memory_bytes: Address space the student's code may add after the imports.
        file_bytes: Largest file the child may write (in its private tmpfs).
        tmpfs_bytes: Size of the sandbox's private tmpfs (its pages are not address space: they count on
            top of ``memory_bytes``, so at most a quarter of it is given).
        max_runs: Runs per student (a fresh one carries on after a hang or crash): as many as the two runs a
            student had before the dependents' checks joined the first (their time budget bounds them too).
    """

    call_timeout_s: float = 30.0
    load_timeout_s: float = 120.0
    student_budget_s: float = 600.0
    cpu_seconds: int = 300
    memory_bytes: int = 2 * 2**30
    file_bytes: int = 16 * 2**20
    tmpfs_bytes: int = 64 * 2**20
    max_runs: int = 16

    @property
    def tmpfs_size(self) -> int:
        """Bytes of the sandbox's tmpfs: ``tmpfs_bytes``, at most a quarter of ``memory_bytes``."""
        return max(2**20, min(self.tmpfs_bytes, self.memory_bytes // 4))


@dataclass
class Call:
    """One call of a student's function.

    Attributes:
        id: Unique within the submission.
        notebook: Which notebook's namespace holds the function.
        function: Function name.
        args: Positional arguments (:class:`~ganbias_helpers.checks.codec.ModelRef` for the models).
        kwargs: Keyword arguments.
        return_args: Also send back the arguments after the call (in-place changes, model gradients).
        watch: Positions of arguments (arrays, tensors, models) whose change the grader checks itself: they
            are handed to the function in memory shared with the grader, which reads them back after the call.
        hidden: A hidden check: its inputs reach the child only once every visible call of its kind (the student's
            own functions', or the dependents', see ``with_reference``) has returned (so nothing the child says before
            then can hold them), and the grader shows none of its text.
        with_reference: A call of a function that calls the student's other graded functions (a dependent):
            made in a second definition of its notebook where the reference helpers (:func:`run`'s ``helpers``
            and ``replace``) stand in for the student's, and only once every call without this flag has
            returned, so that no reference code is in the process while the student's own functions are
            checked.
    """

    id: str
    notebook: str
    function: str
    args: tuple = ()
    kwargs: dict[str, Any] = field(default_factory=dict)
    return_args: bool = False
    watch: tuple[int, ...] = ()
    hidden: bool = False
    with_reference: bool = False


@dataclass
class RunReport:
    """Everything one student's runs produced.

    Attributes:
        results: Call id -> result.
        load_errors: Notebook -> errors raised by cells while defining its functions.
        output: Notebook -> what its cells printed while being defined (cut short).
        runs: Sandboxed processes started.
        blind: Ids of the calls that are not hidden but were made once hidden inputs or the reference helpers had
            reached their process (the dependents' visible checks): like a hidden check's, none of the text the
            student's code chose for them may be shown (it could hold those inputs or the helpers' code).
        on_result: Called with each call's id and result as it arrives; the result is then kept without its
            value and arguments (so a student's large values are judged and dropped one at a time).
    """

    results: dict[str, CallResult] = field(default_factory=dict)
    load_errors: dict[str, list[str]] = field(default_factory=dict)
    output: dict[str, str] = field(default_factory=dict)
    runs: int = 0
    blind: set[str] = field(default_factory=set)
    on_result: Any = field(default=None, repr=False)

    def add(self, call_id: str, result: CallResult) -> None:
        """Record one call's result (see :attr:`on_result`)."""
        if self.on_result is not None:
            self.on_result(call_id, result)
            result.value = result.args_after = None
        self.results[call_id] = result


# ---------------------------------------------------------------- isolation


@dataclass(frozen=True)
class Isolation:
    """How students' code is isolated in this run.

    Attributes:
        kind: ``"bubblewrap"``, ``"user"`` or ``"none"``.
        unprotected: What this mode does not protect, in words (empty for bubblewrap).
    """

    kind: str
    unprotected: tuple[str, ...] = ()

    def describe(self) -> str:
        """One line for the summary and grades.csv's metadata."""
        text = {"bubblewrap": "bubblewrap (namespaces: own user and keyring, no network, own PID space, read-only "
                              "system, private tmpfs of bounded size)",
                "user": "a separate user id per run (no bubblewrap)",
                "none": "NONE: submissions run as the grader (--trusted-submissions)"}[self.kind]
        return text + ("; not protected: " + "; ".join(self.unprotected) if self.unprotected else "")


@functools.cache
def bubblewrap_works() -> str | None:
    """None when bubblewrap can start a sandbox here, else why not."""
    bwrap = shutil.which("bwrap")
    if bwrap is None:
        return "bubblewrap is not installed (Debian/Ubuntu: apt-get install bubblewrap)"
    try:
        proc = subprocess.run([bwrap, *_bwrap_base(), "--", "/bin/true"], capture_output=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired) as err:
        return f"bubblewrap did not start ({err})"
    if proc.returncode != 0:
        return f"bubblewrap cannot create namespaces here ({proc.stderr.decode(errors='replace').strip()[:200]})"
    return None


@functools.cache
def _bwrap_options() -> frozenset[str]:
    """The options this bubblewrap knows (``--size`` and ``--disable-userns`` came in 0.8)."""
    try:
        text = subprocess.run([shutil.which("bwrap") or "bwrap", "--help"], capture_output=True, text=True,
                              timeout=30).stdout
    except (OSError, subprocess.TimeoutExpired):
        return frozenset()
    return frozenset(word for word in text.split() if word.startswith("--"))


def run_uid() -> int:
    """A user id of its own for one sandboxed run of a root grader (never one a person or service has).

    The kernel keeps per-user state beyond a process's life (the user's keyring, its process count): with a
    uid used by one run only, nothing one student leaves there reaches another.
    """
    return RUN_UIDS[0] + secrets.randbelow(RUN_UIDS[1] - RUN_UIDS[0])


def closed_to_others(paths: list[str]) -> str | None:
    """The first file or folder on the way to ``paths`` that users other than its owner cannot use, or None.

    The "user" isolation runs students' code as ``nobody``, which needs to run this Python: every
    folder on the way must be searchable by others, and the files readable (a Python installed under
    a private home, such as ``/root/.pyenv``, is not).
    """
    import stat

    for path in paths:
        real = Path(os.path.realpath(path))
        for folder in [*reversed(real.parents), *([real] if real.is_dir() else [])]:
            if not folder.stat().st_mode & stat.S_IXOTH:
                return str(folder)
        if real.is_file() and not real.stat().st_mode & stat.S_IROTH:
            return str(real)
    return None


def choose_isolation(requested: str = "auto", trusted: bool = False) -> Isolation:
    """The isolation to use: bubblewrap when it works, else another user when root, else none if trusted.

    Raises:
        IsolationError: If nothing safe is available and ``trusted`` is False.
    """
    why_not = bubblewrap_works() if requested in ("auto", "bubblewrap") else "not requested"
    if requested in ("auto", "bubblewrap") and why_not is None:
        return Isolation("bubblewrap")
    if requested == "bubblewrap":
        raise IsolationError(f"bubblewrap was asked for, but {why_not}")
    if requested in ("auto", "user") and os.geteuid() == 0:
        closed = closed_to_others([sys.executable, sys.prefix, sys.base_prefix])
        if closed is None:
            return Isolation("user", ("the network", "files readable by every user (keep submissions and "
                                      "solutions unreadable to 'nobody')",
                                      "the package's reference code, loaded by file path",
                                      "disk space: its private folder has no size (each file has one)"))
        user_problem = (f"the user 'nobody' cannot run this Python ({sys.executable}): {closed} is closed to "
                        "other users, so install bubblewrap, or grade with a Python installed where every user can "
                        "read it (for example /usr/bin/python3)")
        if requested == "user":
            raise IsolationError(f"--isolation user was asked for, but {user_problem}")
        why_not += f"; and {user_problem}"
    if trusted or requested == "none":
        if not trusted:
            raise IsolationError("--isolation none needs --trusted-submissions")
        return Isolation("none", ("everything: the student's code runs as you, with your files and network",))
    if os.geteuid() == 0:
        raise IsolationError(f"cannot isolate students' code here: {why_not}. For submissions you trust, pass "
                             "--trusted-submissions")
    raise IsolationError(
        f"cannot isolate students' code here: {why_not}, and the grader is not root (needed to run it as "
        "another user). Install bubblewrap, or grade as root in a container, or, for submissions you trust, "
        "pass --trusted-submissions")


def _bwrap_base(tmpfs_bytes: int = 64 * 2**20) -> list[str]:
    """The bubblewrap options for every sandbox: namespaces, the system read-only, a tmpfs of ``tmpfs_bytes``."""
    binds = []
    for path in ("/usr", "/bin", "/lib", "/lib64", "/sbin"):
        if os.path.exists(path):
            binds += ["--ro-bind", path, path]
    options = _bwrap_options()
    if os.geteuid() == 0:  # no user namespace: the code runs as a uid of its own (setpriv in World.command)
        unshare = ["--unshare-ipc", "--unshare-pid", "--unshare-net", "--unshare-uts", "--unshare-cgroup-try"]
    else:  # its own user namespace (so its own keyrings), and no further ones inside
        unshare = ["--unshare-all", *(["--unshare-user", "--disable-userns"] if "--disable-userns" in options
                                      else [])]
    size = ["--size", str(tmpfs_bytes)] if "--size" in options else []
    return [*unshare, "--die-with-parent", "--new-session", "--cap-drop", "ALL", *binds,
            "--proc", "/proc", "--dev", "/dev", "--perms", "1777", *size, "--tmpfs", "/tmp", "--chdir", "/tmp",
            "--clearenv"]


#: Environment of every child (nothing of the grader's).
CHILD_ENV = {"HOME": "/tmp", "PATH": "/usr/bin:/bin", "PYTHONDONTWRITEBYTECODE": "1", "PYTHONHASHSEED": "0",
             "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "MPLBACKEND": "Agg",
             "MPLCONFIGDIR": "/tmp", "LC_ALL": "C.UTF-8"}


def _refuse(node: ast.FunctionDef | ast.AsyncFunctionDef, refusal: str) -> None:
    """Replace ``node``'s body by the statement ``refusal``, keeping its docstring."""
    doc = ast.get_docstring(node)
    node.body = ([ast.Expr(ast.Constant(doc))] if doc else []) + ast.parse(refusal).body


def bodiless_checks_source(source: str) -> str:
    """A module of ``ganbias_helpers/checks/`` (``nb04_fairness.py``...) whose functions and lambdas refuse.

    Its named mistakes and case makers are built from the right computations (``_gap(_rates(...))`` is the
    demographic parity gap): in the sandbox, where nothing calls them, they have no bodies, so an answer cannot
    import or ``getattr`` them. The module still imports (its items are only listed).
    """
    tree = ast.parse(source)

    def calls_at_import(node: ast.AST) -> set[str]:  # names called while the module imports (not in a def or lambda)
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            return set()
        found = {node.func.id} if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) else set()
        return found.union(*(calls_at_import(child) for child in ast.iter_child_nodes(node)))

    kept = calls_at_import(tree)  # these keep their own bodies; what they define inside still refuses
    refusal = "raise RuntimeError('the course package\\'s checks have no bodies while answers are graded: write the " \
              "computation yourself')"
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name not in kept:
            _refuse(node, refusal)
        elif isinstance(node, ast.Lambda):
            node.body = ast.parse("_ganbias_no_body()", mode="eval").body
    tree.body.append(ast.parse(f"def _ganbias_no_body():\n    {refusal}\n").body[0])
    return ast.unparse(ast.fix_missing_locations(tree)) + "\n"


def bodiless_pieces_source(source: str) -> str:
    """A module of the package (``fairness.py``...) whose functions marked ``@checks_piece`` refuse.

    Such a helper is built of the right computations (``fairness._rates_per_group``: every group's rates), as
    the checks' pieces are; in the sandbox, where nothing of the package's own calls them, they have no bodies.
    """
    tree = ast.parse(source)
    refusal = "raise RuntimeError('the course package\\'s pieces of graded computations have no bodies while " \
              "answers are graded: write the computation yourself')"
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and any(
                isinstance(d, ast.Name) and d.id == "checks_piece" for d in node.decorator_list):
            _refuse(node, refusal)
    return ast.unparse(ast.fix_missing_locations(tree)) + "\n"


class World:
    """What every sandboxed run sees, built once per grading run (call :meth:`close` after).

    A private folder holds a copy of the runner, the codec and the call (``calls.py``), and a copy of the
    course package whose ``reference.py`` has no graded bodies; bubblewrap binds
    these over their real paths, read-only.
    """

    def __init__(self, isolation: Isolation) -> None:
        import ganbias_helpers
        from ganbias_helpers import reference

        self.isolation = isolation
        self.root = Path(tempfile.mkdtemp(prefix="ganbias-grader-"))
        os.chmod(self.root, 0o755)
        self.runner = self.root / "runner"
        self.runner.mkdir()
        for source in (Path(__file__).resolve().parent / "_runner.py", Path(codec.__file__),
                       Path(call_module.__file__)):
            shutil.copyfile(source, self.runner / source.name)
        self.package = Path(ganbias_helpers.__file__).resolve().parent
        self.view = self.root / "ganbias_helpers"
        shutil.copytree(self.package, self.view, ignore=shutil.ignore_patterns("__pycache__", "weights", "*.pyc"))
        (self.view / "reference.py").write_text(reference.stubbed_source(), encoding="utf-8")
        for module in (self.view / "checks").glob("nb*.py"):  # the named mistakes are built of the right computations
            module.write_text(bodiless_checks_source(module.read_text(encoding="utf-8")), encoding="utf-8")
        for module in self.view.glob("*.py"):  # the package's helpers marked as pieces of graded computations
            text = module.read_text(encoding="utf-8")
            if module.name != "reference.py" and "@checks_piece" in text:
                module.write_text(bodiless_pieces_source(text), encoding="utf-8")
        (self.view / "weights").mkdir()  # where bubblewrap binds the real weights, read-only
        for path in [self.root, *self.root.rglob("*")]:
            os.chmod(path, 0o755 if path.is_dir() else 0o644)

    def command(self, result_fd: int, watch_fd: int = -1, limits: Limits | None = None, uid: int = NOBODY) -> \
            tuple[list[str], dict[str, str], dict[str, Any]]:
        """``(argv, env, extra Popen arguments)`` to start one runner writing results to ``result_fd``.

        ``watch_fd`` is the memory shared with the grader for watched arguments (-1: none); ``uid`` the user
        the student's code runs as when the grader is root (:func:`run_uid`).
        """
        python = [os.path.abspath(sys.executable), "-I", "-X", "faulthandler"]  # no ".." through hidden folders
        fds = [str(result_fd), str(watch_fd)]
        if self.isolation.kind == "bubblewrap":
            argv = [shutil.which("bwrap") or "bwrap", *_bwrap_base((limits or Limits()).tmpfs_size)]
            for name, value in CHILD_ENV.items():
                argv += ["--setenv", name, value]
            binds = [(p, p) for p in self._python_paths()]
            weights = str(self.package / "weights")
            binds += [(str(self.view), str(self.package)), (weights, weights),
                      (str(self.runner), "/opt/ganbias-runner")]
            parents = sorted({str(a) for _, dest in binds for a in Path(dest).parents if str(a) != "/"})
            for parent in parents:  # traversable by 'nobody' (bubblewrap makes them 0700)
                argv += ["--perms", "0755", "--dir", parent]
            for source, dest in binds:
                argv += ["--ro-bind", source, dest]
            for hidden in self._grader_packages():
                argv += [*(["--size", "4096"] if "--size" in _bwrap_options() else []), "--tmpfs", hidden,
                         "--remount-ro", hidden]
            # Only the sized /tmp stays writable: in a user namespace the student owns the sandbox's root and /dev
            # (tmpfs of no size, which would hold as much as the machine's memory).
            argv += ["--remount-ro", "/dev", "--remount-ro", "/"]
            runner = "/opt/ganbias-runner/_runner.py"
            if os.geteuid() == 0:  # the student's code as a user of its own, not as a capability-less root
                argv += ["--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID", "--",
                         shutil.which("setpriv") or "/usr/bin/setpriv", f"--reuid={uid}", f"--regid={uid}",
                         "--clear-groups", "--inh-caps=-all", "--bounding-set=-all"]
            else:
                argv += ["--"]
            return [*argv, *python, runner, *fds], {}, {"start_new_session": True}
        env = dict(CHILD_ENV, PYTHONPATH=str(self.root))
        argv = [*python, str(self.runner / "_runner.py"), *fds]
        if self.isolation.kind == "user":
            return argv, env, {"start_new_session": True, "user": uid, "group": uid, "extra_groups": []}
        return argv, env, {"start_new_session": True}

    def _python_paths(self) -> list[str]:
        """Folders the child's Python needs: the installation and the environment (with its site-packages).

        Nothing else of ``sys.path`` (a test runner's or the project's folders) is bound.
        """
        import site
        import sysconfig

        keep = [sys.base_prefix, sys.prefix, sys.exec_prefix, *site.getsitepackages(), sysconfig.get_paths()["stdlib"]]
        real = sorted({os.path.realpath(p) for p in keep if os.path.isdir(p)})
        outer = [p for p in real if not any(p != q and p.startswith(q.rstrip("/") + "/") for q in real)]
        return [p for p in outer if p not in ("/", "/usr") and not p.startswith("/usr/")]

    def _grader_packages(self) -> list[str]:
        """Installed copies of the grader inside the bound folders, hidden under an empty tmpfs."""
        here = str(Path(__file__).resolve().parent)
        return [here] if any(here.startswith(p.rstrip("/") + "/") for p in self._python_paths()) else []

    def close(self) -> None:
        """Remove the private folder."""
        shutil.rmtree(self.root, ignore_errors=True)


# ---------------------------------------------------------------- one run


@dataclass
class _Part:
    """A later part of a run's request, sent once every call before its first has returned.

    Attributes:
        first: Id of the part's first call (of the next part's, for a part that only defines).
        load: Notebooks it defines again before its calls (with the reference helpers; empty: none).
        send: Puts its hidden inputs into the shared memory and sends it.
        secret: It brings hidden inputs or the reference helpers: from then on, nothing the student's code says
            is shown (see ``RunReport.blind``).
    """

    first: str
    load: list[str]
    send: Callable[[], None]
    secret: bool = False


class _Child:
    """One sandboxed runner: request in on its stdin, results out on a private pipe."""

    def __init__(self, world: World, request: bytes, limits: Limits | None = None,
                 watch: list[tuple[int, bytes]] | None = None, watch_size: int = 0) -> None:
        self.watch_fd = -1
        if watch_size:  # memory shared with the child for the watched arguments (see Call.watch)
            self.watch_fd = os.memfd_create("ganbias-watch", 0)
            os.ftruncate(self.watch_fd, watch_size)
            for offset, data in watch or []:
                self.put(offset, data)
        read_fd, write_fd = os.pipe()
        uid = run_uid()
        argv, env, extra = world.command(write_fd, self.watch_fd, limits, uid)
        pass_fds = (write_fd,) if self.watch_fd < 0 else (write_fd, self.watch_fd)
        self.workdir = None
        cwd = "/"
        if world.isolation.kind != "bubblewrap":
            self.workdir = tempfile.mkdtemp(prefix="ganbias-run-")
            if world.isolation.kind == "user":
                os.chown(self.workdir, uid, uid)
            env["HOME"] = env["MPLCONFIGDIR"] = cwd = self.workdir
        try:
            self.proc = subprocess.Popen(
                argv, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=cwd,
                env=env, pass_fds=pass_fds, close_fds=True, **extra)
        except OSError as err:
            os.close(read_fd)
            os.close(write_fd)
            if self.watch_fd >= 0:
                os.close(self.watch_fd)
            if self.workdir:
                shutil.rmtree(self.workdir, ignore_errors=True)
            raise SandboxError(f"could not start the sandbox: {err}") from err
        os.close(write_fd)
        self.fd = read_fd
        os.set_blocking(self.fd, False)
        self.buffer = bytearray()
        self.eof = False
        self.later: queue.SimpleQueue[bytes | None] = queue.SimpleQueue()
        self.parts: list[_Part] = []  # the request's later parts, each sent once the calls before it have returned
        self.writer = threading.Thread(target=self._feed, args=(codec.frame(request),), daemon=True)
        self.writer.start()

    def put(self, offset: int, data: bytes) -> None:
        """Write ``data`` into the shared memory at ``offset``."""
        view, done = memoryview(data), 0
        while done < len(data):
            done += os.pwrite(self.watch_fd, view[done:], offset + done)

    def send_later(self, payload: bytes | None) -> None:
        """Send a later part of the request, or (``None``) close the request."""
        self.later.put(None if payload is None else codec.frame(payload))

    def _feed(self, payload: bytes) -> None:
        try:
            assert self.proc.stdin is not None
            self.proc.stdin.write(payload)
            self.proc.stdin.flush()
            while (part := self.later.get()) is not None:
                self.proc.stdin.write(part)
                self.proc.stdin.flush()
            self.proc.stdin.close()
        except (BrokenPipeError, OSError, ValueError):
            pass

    def next_message(self, deadline: float) -> dict[str, Any] | str:
        """The next message, or ``"timeout"``, ``"eof"``, ``"too large"`` or ``"garbled"``.

        ``deadline`` is fixed by the caller: what the child sends cannot move it.
        """
        while True:
            if len(self.buffer) >= 8:
                size = int.from_bytes(self.buffer[:8], "little")
                if size > codec.MAX_MESSAGE_BYTES:
                    return "too large"
                if len(self.buffer) >= 8 + size:
                    data = bytes(self.buffer[8:8 + size])
                    del self.buffer[:8 + size]
                    try:
                        return codec.decode(data)
                    except codec.DecodeError:
                        return "garbled"
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
        try:
            code = self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            return "it stopped answering"
        if code < 0 or code > 128:
            sig = -code if code < 0 else code - 128
            if sig == signal.SIGXCPU:
                return "it ran out of CPU time"
            if sig == signal.SIGKILL:
                return "it was killed (out of memory?)"
            try:
                return f"it was ended by signal {signal.Signals(sig).name}"
            except ValueError:
                return f"it was ended by signal {sig}"
        return f"the process exited with status {code} (exit() or os._exit() called, or out of memory?)"

    def close(self) -> None:
        """Kill the child and everything it started, and remove its folder."""
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)  # its session (outside bubblewrap)
        except (ProcessLookupError, PermissionError):
            pass
        try:
            self.proc.kill()  # bubblewrap: its namespace dies with it
        except ProcessLookupError:
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pass
        self.later.put(None)
        os.close(self.fd)
        if self.watch_fd >= 0:
            os.close(self.watch_fd)
        if self.proc.stdin is not None:
            try:
                self.proc.stdin.close()
            except OSError:
                pass
        if self.workdir:  # nothing else of the student's can be running: RLIMIT_NPROC 0 forbids forks
            shutil.rmtree(self.workdir, ignore_errors=True)


@functools.cache
def _model_bytes(which: str) -> bytes:
    """The shipped model's parameters, in order, as the child holds them (float32 bytes)."""
    from ganbias_helpers.checks.core import cpu_models

    model = dict(zip(("gen", "classifier"), cpu_models()))[which]
    return b"".join(p.detach().contiguous().numpy().tobytes() for p in model.parameters())


def _watch_layout(calls: list[Call]) -> tuple[list[tuple[int, bytes]], dict[str, list[dict[str, Any]]]]:
    """The shared memory's parts ``(offset, bytes)`` for the calls' watched arguments, and where each one lies.

    Per call, an entry per watched argument: its position, kind, offset, size and sha256 digest.

    The child builds each watched argument on this memory (a model's parameters, an array's or a tensor's
    data) and hands it to the function; after the call the grader reads the bytes back itself and compares
    their digest with the one taken here. What the child says about its arguments is not used.
    """
    parts: list[tuple[int, bytes]] = []
    layout: dict[str, list[dict[str, Any]]] = {}
    offset = 0
    torch = sys.modules.get("torch")
    for call in calls:
        for i in call.watch:
            arg = call.args[i] if i < len(call.args) else None
            entry: dict[str, Any] = {"i": i}
            if isinstance(arg, codec.ModelRef):
                data = _model_bytes(arg.which)
                entry.update(kind="model")
            elif torch is not None and isinstance(arg, torch.Tensor) and arg.dtype in (torch.float32, torch.float64):
                t = arg.detach().contiguous()
                data = t.numpy().tobytes()
                entry.update(kind="torch", dtype=str(t.dtype).removeprefix("torch."), shape=list(t.shape),
                             grad=bool(arg.requires_grad))
            elif type(arg) is np.ndarray and arg.dtype.name in codec.NUMPY_DTYPES:
                data = np.ascontiguousarray(arg).tobytes()
                entry.update(kind="nd", dtype=arg.dtype.name, shape=list(arg.shape))
            else:
                continue
            entry.update(offset=offset, nbytes=len(data), digest=hashlib.sha256(data).digest())
            parts.append((offset, data))
            offset += len(data)
            layout.setdefault(call.id, []).append(entry)
    return parts, layout


def _changed(fd: int, entries: list[dict[str, Any]]) -> tuple[int, ...]:
    """Positions of the watched arguments whose bytes in the shared memory differ from what the grader put there."""
    changed = []
    for entry in entries:
        digest, left, offset = hashlib.sha256(), entry["nbytes"], entry["offset"]
        while left > 0:
            chunk = os.pread(fd, min(left, 1 << 20), offset)
            if not chunk:
                break
            digest.update(chunk)
            left -= len(chunk)
            offset += len(chunk)
        if left or digest.digest() != entry["digest"]:
            changed.append(entry["i"])
    return tuple(changed)


def run(world: World, programs: dict[str, list[tuple[str, str]]], calls: list[Call], limits: Limits,
        deadline: float, helpers: dict[str, str] | None = None, replace: dict[str, list[str]] | None = None,
        report: RunReport | None = None) -> RunReport:
    """Define each notebook's answers in a sandboxed run and make ``calls`` there.

    One process serves a student (a fresh one carries on after a hang or crash). Its request comes in parts,
    each sent once every call of the part before has returned: the student's own definitions (of every notebook
    the calls need, so that what their cells raise can be shown) and the calls of their functions (visible, then
    hidden), then, for the calls marked ``with_reference``, the reference
    helpers and a second definition of the notebooks where those helpers stand in for the student's (visible,
    then hidden calls). No reference code is in the process until the student's own functions are done.

    Args:
        world: The sandbox's files.
        programs: Notebook -> its code units ``(label, source)``, in order.
        calls: The calls to make (each made once the calls before it in this order have returned, the calls
            with the reference helpers last).
        limits: Limits and deadlines.
        deadline: ``time.monotonic()`` by which everything must be done (the student's budget).
        helpers: Reference helpers' standalone sources, by graded name (for the ``with_reference`` calls).
        replace: Notebook -> graded names whose student versions the helpers replace (for those calls).
        report: Add to this report.

    Raises:
        SandboxError: If the sandbox itself cannot start (never for anything a student did).
    """
    report = report or RunReport()
    needs_models = any(isinstance(a, codec.ModelRef) for c in calls for a in c.args)
    pending = sorted((c for c in calls if c.notebook in programs), key=lambda c: (c.with_reference, c.hidden))
    skipped_cells: dict[str, set[str]] = {}
    runs = 0
    while pending:
        if runs >= limits.max_runs or time.monotonic() >= deadline:
            why = "not run: your time budget is spent" if runs < limits.max_runs else \
                "not run: too many hangs or crashes"
            for call in pending:
                report.results[call.id] = CallResult("skipped", error=why)
            break
        wanted = [nb for nb in programs if any(c.notebook == nb for c in pending)]
        groups: list[list[Call]] = []
        for _, g in itertools.groupby(pending, key=lambda c: (c.with_reference, c.hidden)):
            group = list(g)
            if group[0].hidden and (not groups or groups[-1][0].with_reference != group[0].with_reference):
                groups.append([])  # a definition never comes with hidden calls (a fresh run carrying on with them)
            groups.append(group)
        leads = [(g or groups[i + 1])[0] for i, g in enumerate(groups)]  # each part's first call (or the next's)
        kinds = [c.with_reference for c in leads]
        loads = {i: [nb for nb in wanted if any(c.notebook == nb and c.with_reference == kinds[i] for c in pending)]
                 for i in range(len(groups)) if i == 0 or kinds[i] != kinds[i - 1]}
        if not kinds[0]:  # every notebook once without secrets, so that what its cells raise can be shown
            loads[0] = list(wanted)
        parts, layout = _watch_layout(pending)
        secret = {e["offset"] for c in pending if c.hidden for e in layout.get(c.id, []) if e["kind"] != "model"}
        hidden_bytes = {at: data for at, data in parts if at in secret}  # written when their calls are sent

        def part(i: int, groups: list[list[Call]] = groups, loads: dict[int, list[str]] = loads,
                 kinds: list[bool] = kinds, layout: dict[str, list[dict[str, Any]]] = layout) -> dict[str, Any]:
            """The request's part ``i``: its calls, and (a part starting a definition) what it defines."""
            message: dict[str, Any] = {
                "calls": [{"id": c.id, "notebook": c.notebook, "function": c.function, "args": list(c.args),
                           "kwargs": dict(c.kwargs), "return_args": c.return_args,
                           "watch": [{k: v for k, v in e.items() if k != "digest"} for e in layout.get(c.id, [])]}
                          for c in groups[i]],
                "more": i + 1 < len(groups)}
            if i in loads:
                message["load"] = loads[i]
                if kinds[i]:
                    message.update(helpers=helpers or {}, replace=replace or {})
            return message

        request = {
            "programs": {nb: [u for u in programs[nb] if u[0] not in skipped_cells.get(nb, set())]
                         for nb in wanted},
            **part(0), "needs_models": needs_models,
            "preimport": preimport_names({"reference helpers": sorted((helpers or {}).items())})
            if any(c.with_reference for c in pending) else [],
            "cpu_seconds": limits.cpu_seconds, "memory_bytes": limits.memory_bytes, "file_bytes": limits.file_bytes,
        }
        child = _Child(world, codec.encode(request, max_str=1 << 22), limits,
                       [(at, data) for at, data in parts if at not in secret], sum(len(d) for _, d in parts))
        del parts, request

        def send(i: int, child: _Child = child, part: Any = part, hidden_bytes: dict[int, bytes] = hidden_bytes,
                 groups: list[list[Call]] = groups, layout: dict[str, list[dict[str, Any]]] = layout) -> None:
            """Put part ``i``'s hidden inputs into the shared memory, then send the part."""
            for call in groups[i]:
                for entry in layout.get(call.id, []):
                    if entry["offset"] in hidden_bytes:
                        child.put(entry["offset"], hidden_bytes.pop(entry["offset"]))
            child.send_later(codec.encode(part(i), max_str=1 << 22))

        child.parts = [_Part(leads[i].id, loads.get(i, []), functools.partial(send, i),
                             any(c.hidden for c in g) or (i in loads and kinds[i])) for i, g in enumerate(groups) if i]
        runs += 1
        report.runs += 1
        try:
            pending = _serve(child, pending, loads[0], limits, deadline, report, skipped_cells, layout,
                             {nb: {u[0] for u in programs[nb]} for nb in wanted}, kinds[0])
        finally:
            child.close()
    return report


#: The ways a child ends that say nothing the student's code chose beyond a bit or two (shown for hidden checks too).
_PLAIN_ENDS = ("it stopped answering", "it ran out of CPU time", "it was killed (out of memory?)")


def _fail_function(pending: list[Call], report: RunReport, status: str, why: str) -> list[Call]:
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


def _serve(child: _Child, pending: list[Call], load: list[str], limits: Limits, deadline: float,
           report: RunReport, skipped_cells: dict[str, set[str]],
           layout: dict[str, list[dict[str, Any]]] | None = None,
           labels: dict[str, set[str]] | None = None, secret: bool = False) -> list[Call]:
    """Drive one child until it is done or fails; return the calls still to run.

    ``load``: the notebooks the request's first part defines (a later part may define some again, see
    :class:`_Part`; a process that ends there returns every pending call, with no cell skipped: it may have run out
    of what the calls before used). ``labels``: each notebook's cells' labels (a "cell" message naming another is
    ignored).

    Once a part with hidden calls or the reference helpers has been sent (``secret``: the first part had them), the
    process holds what the student must not see: the later calls' ids go to ``report.blind``, what a definition's
    cells raise from then on is not reported beyond what the ones before said, nor which cell hung or ended the
    process, nor how the process ended.
    """
    load_deadline = min(deadline, time.monotonic() + limits.load_timeout_s)
    msg = child.next_message(load_deadline)
    if not isinstance(msg, dict) or msg.get("kind") != "ready":
        if msg == "timeout" and time.monotonic() >= deadline:
            return _fail_all(pending, report, "timeout", "not run: your time budget is spent")
        raise SandboxError(f"the sandbox did not start ({msg if isinstance(msg, str) else msg.get('kind')}; "
                           f"{child.exit_reason() if msg == 'eof' else 'no answer'})")
    to_load = list(load)
    current: tuple[str, str] | None = None
    by_id = {c.id: c for c in pending}
    holds_secret = secret  # hidden inputs or the reference helpers are in the process
    defined = False  # a definition was made before (the process has used CPU time and memory since it started)
    answered = 0  # calls that returned in this process

    def reason(hidden: bool = False) -> str:  # an exit status or signal the student chose: not once secrets came
        why = child.exit_reason()
        plain = not (hidden or holds_secret) or why in _PLAIN_ENDS
        return why if plain else "it exited (how is not shown once hidden inputs or the reference helpers are there)"

    call_deadline = min(deadline, time.monotonic() + limits.call_timeout_s)
    while to_load or pending:
        if to_load:
            msg = child.next_message(load_deadline)
            if isinstance(msg, dict):
                label = msg.get("label")
                if msg.get("kind") == "cell" and msg.get("notebook") == to_load[0] and (
                        labels is None or isinstance(label, str) and label in labels.get(to_load[0], set())):
                    current = (to_load[0], str(msg.get("label")))
                elif msg.get("kind") == "loaded" and msg.get("notebook") == to_load[0]:
                    nb = to_load.pop(0)
                    errors = msg.get("errors")
                    errors = [str(e)[:500] for e in errors or [] if isinstance(errors, list)]
                    known = report.load_errors.setdefault(nb, [])
                    if holds_secret:  # their text could hold hidden inputs: only what the definitions before said
                        errors = [e if e in known else "a cell raised while your notebook was defined with the "
                                  "reference helpers (not shown: they or hidden inputs were there)" for e in errors]
                    known.extend(errors)
                    if not holds_secret:  # what a definition with secrets in reach printed is not kept
                        report.output[nb] = str(msg.get("output", ""))[:2000]
                    current = None
                    call_deadline = min(deadline, time.monotonic() + limits.call_timeout_s)
                continue  # anything else the student's code wrote to the pipe is ignored
            if defined and msg == "eof":  # perhaps of what the process did before (its CPU time, its memory): a
                return pending  # fresh run defines it again, and skips the cell only if it ends that run too
            if current is None:  # died or hung outside any cell (starting up, loading the models)
                if msg == "timeout":
                    return _fail_all(pending, report, "timeout", "your notebook took too long to start")
                return _fail_all(pending, report, "crashed", f"the grading process stopped: {reason()}")
            nb, label = current
            if holds_secret:  # which cell, and how it ended, the student's code chose: it could hold those secrets
                what = ("a cell did not finish or stopped the grading process while your notebook was defined with "
                        "the reference helpers (which one, and how, is not shown: they or hidden inputs were there)")
            else:
                what = (f"{label} did not finish within the time to define your functions" if msg == "timeout"
                        else f"{label} stopped the grading process: {reason() if msg == 'eof' else msg}")
            report.load_errors.setdefault(nb, []).append(f"{what}; it was skipped")
            skipped_cells.setdefault(nb, set()).add(label)
            return pending  # a fresh run without that cell
        if child.parts and pending[0].id == child.parts[0].first:  # every call before this part has returned
            part = child.parts.pop(0)
            part.send()
            holds_secret = holds_secret or part.secret
            if part.load:
                to_load, defined = list(part.load), True
                load_deadline = min(deadline, time.monotonic() + limits.load_timeout_s)
                continue
        msg = child.next_message(call_deadline)
        if isinstance(msg, dict):
            kind, call_id = msg.get("kind"), msg.get("id")
            if kind == "result" and call_id == pending[0].id and call_id in by_id:
                result = CallResult.from_message(msg)
                if layout and call_id in layout:  # read back by the grader, whatever the child says
                    result.changed = _changed(child.watch_fd, layout[call_id])
                del msg
                if holds_secret and not by_id[call_id].hidden:
                    report.blind.add(call_id)
                report.add(call_id, result)
                pending, answered = pending[1:], answered + 1
                call_deadline = min(deadline, time.monotonic() + limits.call_timeout_s)
            continue
        if msg == "timeout":
            why = ("not run: your time budget is spent" if time.monotonic() >= deadline
                   else f"did not finish within {limits.call_timeout_s:.0f} s (an endless loop?)")
            return _fail_function(pending, report, "timeout", why)
        if msg == "too large":
            return _fail_function(pending, report, "crashed", "returned a value too large to check")
        if msg == "garbled":
            return _fail_function(pending, report, "crashed", "its result could not be read back")
        if answered and child.exit_reason() == "it ran out of CPU time":  # the calls before spent it too (one call
            return pending  # alone cannot: its wall-clock limit comes first): a fresh run makes this one again
        return _fail_function(pending, report, "crashed", f"the grading process stopped: {reason(pending[0].hidden)}")
    return []


def _fail_all(pending: list[Call], report: RunReport, status: str, why: str) -> list[Call]:
    for call in pending:
        report.results[call.id] = CallResult(status, error=why)
    return []
