"""Hostile submissions against ``ganbias grade`` (issues 10 and 25): each attack must be contained.

Every attack is a small answer cell in ``tests/hostile/`` (with the helpers of ``tests/hostile/_common.py``
pasted in front of it), put in place of ``demographic_parity_gap`` (or of the function it attacks) in a copy of
the solution; an attack on the submission's files has a ``lay_out(folder)`` that the test calls on the student's
folder. The grader runs as an instructor runs it, in a subprocess (``ganbias grade SUBMISSIONS --out OUT``), on
many attackers and a victim whose notebook is the full solution, in two batches graded once per test session
(the sandbox's attacks of issue 10, and the grader's own robustness of issue 25); each test then asserts, for its
attack, what a grader needs:

(a) the attack earns no points for the attacked function (an attack that works is rewarded with right answers:
    the solution's own answer cell that it read, or fairlearn's value once it wrote or connected somewhere);
(b) the attacker has a row in grades.csv with a status (graded, timed_out, crashed, refused) and, unless
    graded, a message: in its ``problems`` column or in its feedback about the attacked function;
(c) nothing is written outside the sandbox: the canary folder made here, the shipped weights (bytes and
    modification time) and the grader's own code are unchanged, and OUT holds only the grader's outputs (no
    named pipe, link, ``*.tmp`` or attack-named file);
(d) the victim, graded in the same batch, gets full marks for the notebook;
(e) no process is left behind: none carrying the attack's marker (in /proc/PID/comm, cmdline or environ) and
    none of the processes seen in the grader's tree while it ran;
(f) the batch finishes within its bound and writes grades.csv with a row for every student;
(g) for the robustness batch: the grader exits normally and its own peak memory (VmHWM) stays under
    MEMORY_BOUND, whatever the students hand in.

``GANBIAS_HOSTILE_ONLY=id,id`` grades only those attacks (and the victim): to show one attack against an older
grader, the others' tests are skipped.

The machine these tests run on is shared. The attacks that signal or write to other processes only touch the
descendants of the test process (see ``fair_game`` in _common.py), and only the sandbox's own namespace when it
has one; the grader runs with its own TMPDIR under tmp_path and a cap on its data segment (a decoder that
inflates a message fails there instead of pushing the machine out of memory); the attacks that write to the
shipped weights or the grader's code write back what they read or zero bytes (their points show that they
could); whatever the attacks leave running is killed at the end of each test.
"""

from __future__ import annotations

import csv
import hashlib
import os
import re
import resource
import secrets
import shutil
import signal
import socket
import stat
import subprocess
import sys
import threading
import time
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from autograder_support import default_solutions_dir, load, save, set_source, solution

import autograder
import ganbias_helpers

pytestmark = pytest.mark.skipif(shutil.which("bwrap") is None,
                                reason="bubblewrap (bwrap) is not installed: apt-get install bubblewrap")

HOSTILE = Path(__file__).resolve().parent / "hostile"
NOTEBOOK = "04_fairness"
ATTACKED = "demographic_parity_gap"
FUNCTIONS = ("demographic_parity_gap", "equalized_odds_gap", "equal_opportunity_gap")
SOLUTION = default_solutions_dir() / f"{NOTEBOOK}.ipynb"
#: Points of each graded function of the notebook: the nbgrader points of its test cell in the solution.
POINTS = {cell["metadata"]["nbgrader"]["grade_id"].removeprefix("test_"): float(cell["metadata"]["nbgrader"]["points"])
          for cell in load(SOLUTION)["cells"]
          if cell.get("metadata", {}).get("nbgrader", {}).get("grade_id") in {f"test_{f}" for f in FUNCTIONS}}
WEIGHTS = sorted((Path(ganbias_helpers.__file__).resolve().parent / "weights").glob("*.pth"))
GRADER_FILES = sorted(Path(autograder.__file__).resolve().parent.rglob("*.py"))
#: The statuses a student's row may have (a grader error is the grader's failure, not a containment).
STATUSES = {"graded", "timed_out", "crashed", "refused"}
#: Seconds a batch may take (a student takes about 10 s on 2 CPU cores; the attacks that hang use their timeouts).
BOUND_S = 900
#: The grader's own peak memory (VmHWM of the ``ganbias grade`` process) under the robustness batch; see README.md.
MEMORY_BOUND = 1536 * 2**20
#: The grader's data segment cap (it needs about 1 GiB; the 24 MB message of issue 10 inflates to 48 GB).
DATA_CAP = 4 * 2**30
ATTACKER, VICTIM = "aaa-attacker", "zzz-victim"


# ------------------------------------------------------------------ processes


def _stat(pid: int) -> list[str]:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return []


def _identity(pid: int) -> tuple[int, str] | None:
    fields = _stat(pid)
    return (pid, fields[19]) if len(fields) > 19 and fields[0] != "Z" else None


def _alive(ident: tuple[int, str]) -> bool:
    return _identity(ident[0]) == ident


def _descendants(root: int) -> set[tuple[int, str]]:
    parents = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            fields = _stat(int(entry))
            if len(fields) > 19:
                parents[int(entry)] = (int(fields[1]), fields[19], fields[0])
    out = set()
    for pid, (parent, start, state) in parents.items():
        up, seen = parent, set()
        while up > 1 and up != root and up not in seen:
            seen.add(up)
            up = parents.get(up, (0,))[0]
        if up == root and state != "Z":
            out.add((pid, start))
    return out


def marked_processes(marker: str) -> list[tuple[int, str]]:
    """Live (not zombie) processes whose comm, argv or environment holds ``marker``."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == os.getpid():
            continue
        for name in ("comm", "cmdline", "environ"):
            try:
                data = Path(f"/proc/{entry}/{name}").read_bytes()
            except OSError:
                continue
            if marker.encode() in data:
                ident = _identity(int(entry))
                if ident:
                    found.append(ident)
                break
    return found


def _describe(ident: tuple[int, str]) -> str:
    try:
        cmd = Path(f"/proc/{ident[0]}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        comm = Path(f"/proc/{ident[0]}/comm").read_text().strip()
    except OSError:
        return f"pid {ident[0]} (gone)"
    return f"pid {ident[0]} ({comm}): {cmd[:200]}"


def _kill(idents: set[tuple[int, str]] | list[tuple[int, str]]) -> None:
    for ident in idents:
        if _alive(ident):
            try:
                os.kill(ident[0], signal.SIGKILL)
            except OSError:
                pass


# ------------------------------------------------------------------ the batch


@dataclass
class Run:
    """One run of ``ganbias grade``."""

    returncode: int | None
    seconds: float
    timed_out: bool
    output: str = field(repr=False)
    rows: dict[str, dict[str, str]] | None = field(repr=False)
    tree: set[tuple[int, str]] = field(default_factory=set, repr=False)
    #: The grader process's own peak resident memory (bytes; its sandboxes not counted).
    peak_rss: int = 0

    def why(self) -> str:
        return (f"(exit {self.returncode}, {self.seconds:.0f} s, timed out: {self.timed_out}, grader peak "
                f"{self.peak_rss / 2**20:.0f} MiB)\n{self.output[-3000:]}")


def read_grades(out: Path) -> dict[str, dict[str, str]]:
    """grades.csv as ``{student id: row}`` (comment lines starting with # before the header are skipped)."""
    lines = (out / "grades.csv").read_text(encoding="utf-8").splitlines(keepends=True)
    while lines and lines[0].startswith("#"):
        lines.pop(0)
    rows = {}
    for row in csv.DictReader(lines):
        assert row["student"] not in rows, f"two rows for {row['student']!r}"
        rows[row["student"]] = row
    return rows


def _points(row: dict[str, str], name: str) -> float:
    return float(row.get(name) or 0)


def _peak_rss(pid: int) -> int:
    """VmHWM of ``pid`` in bytes (0 when gone)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


@dataclass
class World:
    """One test's folders, its attack marker and everything it checks after grading."""

    root: Path
    marker: str = field(default_factory=lambda: "hx" + secrets.token_hex(6))
    #: The process trees of the grader runs (killed at the end of the test, whatever happened).
    runs: list[set[tuple[int, str]]] = field(default_factory=list, repr=False)

    def __post_init__(self) -> None:
        self.subs = self.root / "submissions"
        self.out = self.root / "out"
        self.tmp = self.root / "tmp"
        self.canary = self.root / "canary"
        for folder in (self.subs, self.out, self.tmp, self.canary):
            folder.mkdir(parents=True, exist_ok=True)
        (self.canary / "keep.txt").write_text("the canary folder: nothing may appear here\n")
        self.before = self.snapshot()

    # -- submissions

    def params(self, **extra: object) -> dict[str, object]:
        fields = _stat(os.getpid())
        return {"PROTECT_PID": os.getpid(), "PROTECT_START": int(fields[19]),
                "PROTECT_PIDNS": os.readlink("/proc/self/ns/pid"), "MARKER": self.marker, "CANARY": str(self.canary),
                "SOLUTION": str(SOLUTION), "OUT": str(self.out), "TMPROOT": str(self.tmp), **extra}

    def render(self, attack: str, **extra: object) -> str:
        """The answer cell of ``tests/hostile/<attack>.py``, helpers pasted in, placeholders filled."""
        common = (HOSTILE / "_common.py").read_text()
        text = re.sub(r"^from _common import .*$", lambda _: common, (HOSTILE / f"{attack}.py").read_text(),
                      count=1, flags=re.M)
        for key, value in self.params(**extra).items():
            text = text.replace(f'"@{key}@"', repr(value))
        left = re.findall(r'"@[A-Z_]+@"', text)
        assert not left, f"placeholders left in {attack}: {left}"
        return text

    def student(self, name: str, answers: dict[str, str] | None = None, nested: bool = False,
                notebook: str = NOTEBOOK) -> Path:
        """SUBMISSIONS/<name>/[ganbias/]<notebook>.ipynb: the solution with ``answers`` put in its cells."""
        nb = solution(notebook)
        for grade_id, text in (answers or {}).items():
            set_source(nb, grade_id, text)
        folder = self.subs / name / ("ganbias" if nested else "")
        return save(nb, folder / f"{notebook}.ipynb")

    def attacker(self, attack: str, name: str = ATTACKER, function: str = ATTACKED, notebook: str = NOTEBOOK,
                 **extra: object) -> Path:
        """A student whose answer to ``function`` is the attack; an attack with ``lay_out`` then lays out its files."""
        text = self.render(attack, **extra)
        path = self.student(name, {function: text}, notebook=notebook)
        if re.search(r"^def lay_out\(", text, flags=re.M):  # only file-laying attacks: nothing else runs here
            namespace: dict[str, object] = {}
            exec(compile(text, f"<hostile {attack}>", "exec"), namespace)
            namespace["lay_out"](str(path.parent))  # type: ignore[operator]
        return path

    # -- grading

    def grade(self, jobs: int = 2, env: dict[str, str] | None = None, args: tuple[str, ...] = ()) -> Run:
        out = self.out
        cmd = [str(Path(sys.executable).parent / "ganbias"), "grade", str(self.subs), "--out", str(out),
               "--jobs", str(jobs), "--no-progress", *args]
        full_env = dict(os.environ, TMPDIR=str(self.tmp), OMP_NUM_THREADS="1", MPLBACKEND="Agg", **(env or {}))
        log = self.root / "grader.log"
        tree: set[tuple[int, str]] = set()
        started = time.monotonic()
        with open(log, "wb") as sink:
            proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=sink, stderr=subprocess.STDOUT,
                                    env=full_env, cwd=self.root, start_new_session=True,
                                    preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_DATA, (DATA_CAP, DATA_CAP)))
            timed_out = False
            peak = 0
            while proc.poll() is None:
                peak = max(peak, _peak_rss(proc.pid))
                tree |= _descendants(proc.pid)
                if time.monotonic() - started > BOUND_S:
                    timed_out = True
                    tree |= _descendants(proc.pid)
                    try:
                        os.killpg(proc.pid, signal.SIGKILL)
                    except OSError:
                        pass
                    proc.kill()
                    _kill(tree)
                    proc.wait()
                    break
                time.sleep(0.2)
        seconds = time.monotonic() - started
        try:
            rows = read_grades(out)
        except (OSError, KeyError):
            rows = None
        self.runs.append(tree)
        return Run(proc.returncode, seconds, timed_out, log.read_text(errors="replace"), rows, tree, peak)

    # -- what must not have changed

    def snapshot(self) -> dict[str, object]:
        canary = {}
        for path in sorted(self.canary.rglob("*")):
            mode = path.lstat().st_mode
            canary[str(path)] = hashlib.sha256(path.read_bytes()).hexdigest() if stat.S_ISREG(mode) else mode
        files = {str(p): (hashlib.sha256(p.read_bytes()).hexdigest(), p.stat().st_mtime_ns) for p in WEIGHTS}
        code = {str(p): hashlib.sha256(p.read_bytes()).hexdigest() for p in GRADER_FILES}
        return {"canary": canary, "weights": files, "grader code": code}


@pytest.fixture(scope="module")
def weights_backup(tmp_path_factory: pytest.TempPathFactory) -> dict[Path, Path]:
    """A copy of the shipped weights, put back after any test that changed them."""
    folder = tmp_path_factory.mktemp("weights-backup")
    backup = {}
    for path in WEIGHTS:
        backup[path] = folder / path.name
        shutil.copy2(path, backup[path])
    return backup


def clean_up(w: World, weights_backup: dict[Path, Path]) -> None:
    """Kill what a batch left running, put the shipped weights back."""
    _kill(marked_processes(w.marker))
    for tree in w.runs:
        _kill(tree)
    for path, copy in weights_backup.items():
        if path.read_bytes() != copy.read_bytes() or path.stat().st_mtime_ns != copy.stat().st_mtime_ns:
            shutil.copy2(copy, path)


# ------------------------------------------------------------------ the outcomes a grader needs


def assert_batch_finished(run: Run, students: list[str], out: Path) -> dict[str, dict[str, str]]:
    """(f) the grader ended within the bound, wrote grades.csv, and every student has a row with a status and,
    unless graded, a message: in the row's problems, or in the student's feedback about the attacked function (b)."""
    assert not run.timed_out, f"the batch did not finish within {BOUND_S} s {run.why()}"
    assert run.rows is not None, f"grades.csv was not written {run.why()}"
    for student in students:
        assert student in run.rows, f"no row for {student!r} in grades.csv (rows: {sorted(run.rows)}) {run.why()}"
        row = run.rows[student]
        assert row["status"] in STATUSES, f"{student!r} has status {row['status']!r} {run.why()}"
        if row["status"] != "graded":
            said = row["problems"].strip() or any(ATTACKED in text for text in feedback_of(out, student))
            assert said, f"{student!r} is {row['status']} with no message (problems column or feedback)"
    return run.rows


def feedback_of(out: Path, student: str) -> list[str]:
    """The feedback files in OUT that are about ``student`` (their first line names the student)."""
    texts = []
    for path in sorted((out / "feedback").rglob("*.txt")) if (out / "feedback").is_dir() else []:
        text = path.read_text(encoding="utf-8", errors="replace")
        if student in text.split("\n", 1)[0]:
            texts.append(text)
    return texts


def assert_full_marks(row: dict[str, str]) -> None:
    """(d) every graded function of the notebook passed."""
    assert row["status"] == "graded", row
    for name in FUNCTIONS:
        assert _points(row, name) == POINTS[name], (name, row)


def assert_nothing_written_outside(world: World, run: Run) -> None:
    """(c) the canary folder, the weights and the grader's code unchanged; OUT holds only the grader's outputs."""
    after = world.snapshot()
    for what in ("canary", "weights", "grader code"):
        assert after[what] == world.before[what], f"{what} changed: before {world.before[what]}, after {after[what]}"
    strays = []
    for path in world.out.rglob("*"):
        mode = path.lstat().st_mode
        if not (stat.S_ISREG(mode) or stat.S_ISDIR(mode)) or "PWNED" in path.name or world.marker in path.name \
                or path.name.endswith(".tmp"):
            strays.append(f"{path.relative_to(world.out)} (mode {stat.filemode(mode)})")
    assert not strays, f"files in --out that the grader does not write: {strays}"


def assert_no_process_left(world: World, run: Run) -> None:
    """(e) within 5 s of the grader's exit, no marked process and nothing of the grader's tree still runs."""
    end = time.monotonic() + 5
    while True:
        left = set(marked_processes(world.marker)) | {i for i in run.tree if _alive(i)}
        if not left or time.monotonic() > end:
            break
        time.sleep(0.2)
    assert not left, "processes left behind: " + "; ".join(_describe(i) for i in sorted(left))


def assert_contained(world: World, run: Run, attacker: str = ATTACKER, victim: str = VICTIM,
                     function: str = ATTACKED) -> None:
    """(a) to (f) for one attacker graded with a victim."""
    rows = assert_batch_finished(run, [attacker, victim], world.out)
    assert _points(rows[attacker], function) == 0, f"the attack earned points: {rows[attacker]}"
    assert_full_marks(rows[victim])
    assert_nothing_written_outside(world, run)
    assert_no_process_left(world, run)


# ------------------------------------------------------------------ the attacks themselves


ATTACKS = sorted(p.stem for p in HOSTILE.glob("*.py") if not p.stem.startswith("_"))
#: A value for every placeholder an attack may have (the tests give the real ones).
EXAMPLES = {"WEIGHTS": ["/w.pth"], "GRADER_FILES": ["/g.py"], "PASSWD_SHA256": "0" * 64, "WHAT": "cmdline",
            "SECRET": "s", "ATTACKER": ATTACKER, "VICTIM": VICTIM, "SIGNAL": "SIGKILL", "STUDENTS": [ATTACKER],
            "HOST": "127.0.0.1", "PORT": 1}


@pytest.mark.parametrize("attack", ATTACKS)
def test_each_attack_is_defined_whole(tmp_path: Path, attack: str) -> None:
    """Each attack's top level is imports, definitions and literal constants only, so that any grader that
    defines a cell's functions runs all of it (one that kept only definitions and literals would otherwise run
    part of an attack, which then fails for the wrong reason)."""
    import ast

    text = World(tmp_path).render(attack, **EXAMPLES)
    for node in ast.parse(text).body:
        if isinstance(node, ast.Assign | ast.AnnAssign):
            ast.literal_eval(node.value)  # raises for anything but a literal
        else:
            assert isinstance(node, ast.Import | ast.ImportFrom | ast.FunctionDef | ast.ClassDef) or (
                isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)), ast.dump(node)[:200]
    assert f"def {ATTACKED}(" in text


# ------------------------------------------------------------------ the batches


@dataclass
class Attack:
    """One hostile student of a batch.

    Attributes:
        id: The test's id for it.
        file: ``tests/hostile/<file>.py``.
        function: The graded function whose answer the attack replaces (and must not earn).
        notebook: The course notebook handed in.
        extra: Placeholder values.
        student: The student's id (default ``aaa-<id>``: graded before the victim).
    """

    id: str
    file: str = ""
    function: str = ATTACKED
    notebook: str = NOTEBOOK
    extra: dict[str, object] = field(default_factory=dict)
    student: str = ""

    def __post_init__(self) -> None:
        self.file = self.file or self.id
        self.student = self.student or f"aaa-{self.id}"


@dataclass
class Batch:
    """One grading run of many attackers and the victim."""

    world: World
    run: Run
    attacks: dict[str, Attack]
    students: set[str]
    facts: dict[str, object] = field(default_factory=dict)

    def attack(self, attack_id: str) -> Attack:
        if attack_id not in self.attacks:
            pytest.skip(f"{attack_id} is not in this batch (GANBIAS_HOSTILE_ONLY)")
        return self.attacks[attack_id]


def _selected(ids: list[str]) -> list[str]:
    only = {a for a in os.environ.get("GANBIAS_HOSTILE_ONLY", "").split(",") if a}
    return [i for i in ids if not only or i in only]


#: The sandbox's attacks (issue 10): reading the answers, writing outside, other students' grades, code outside the
#: sandbox, stopping the batch, the network, processes left behind.
SANDBOX_ATTACKS = ["read_rebind_hook", "read_dir_fd", "read_torch_from_file", "read_etc_passwd",
                   "read_grader_cmdline", "read_grader_environ", "write_weights_shared", "write_sqlite",
                   "write_mkfifo", "write_dir_fd", "write_grader_code", "forge_other_grades", "zygote_job_line",
                   "pidfd-kill-parents", "kill-all", "stop-all", "flood-fds", "giant-value", "fifo-in-out",
                   "net_connect", "spawn_leftovers"]
#: Submissions that are not attacks on the code: ids that a lossy cleaning merges, and symbolic links.
IDS = {unicodedata.normalize("NFC", "Zo\u00eb"): 1, unicodedata.normalize("NFC", "Zo\u00e9"): 2, "a b": 3, "a_b": 0}
LINKS = {"student-folder-to-another-student": "mallory-1", "notebook-to-the-solution": "mallory-2",
         "assignment-folder-to-the-solutions": "mallory-3"}


@pytest.fixture(scope="module")
def sandbox_batch(tmp_path_factory: pytest.TempPathFactory, weights_backup: dict[Path, Path]):
    """Every attack of issue 10 in one batch with the victim, the ids and the symbolic links."""
    w = World(tmp_path_factory.mktemp("sandbox-batch"))
    cmdline_secret, environ_secret = "hs" + secrets.token_hex(8), "hs" + secrets.token_hex(8)
    w.out = w.root / f"out-{cmdline_secret}"  # the secret is in the grader's argv: the name of --out
    w.out.mkdir()
    server = socket.create_server(("127.0.0.1", 0))
    server.settimeout(0.2)
    seen: list[tuple[str, int]] = []
    stop = threading.Event()

    def accept() -> None:
        while not stop.is_set():
            try:
                conn, peer = server.accept()
            except OSError:
                continue
            seen.append(peer)
            conn.close()

    listener = threading.Thread(target=accept, daemon=True)
    listener.start()
    stops = [("pidfd-kill-parents", "stop_pidfd_kill", ""), ("kill-all", "stop_kill_all", "SIGKILL"),
             ("stop-all", "stop_kill_all", "SIGSTOP"), ("flood-fds", "stop_flood", ""),
             ("giant-value", "stop_giant_value", ""), ("fifo-in-out", "stop_fifo_in_out", "")]
    files = {"WEIGHTS": [str(p) for p in WEIGHTS], "GRADER_FILES": [str(p) for p in GRADER_FILES]}
    attacks = [Attack("read_rebind_hook"), Attack("read_dir_fd"), Attack("read_torch_from_file"),
               Attack("read_etc_passwd", extra={"PASSWD_SHA256": hashlib.sha256(Path("/etc/passwd").read_bytes())
                                                .hexdigest()}),
               Attack("read_grader_cmdline", "read_grader_process",
                      extra={"WHAT": "cmdline", "SECRET": cmdline_secret}),
               Attack("read_grader_environ", "read_grader_process",
                      extra={"WHAT": "environ", "SECRET": environ_secret}),
               *[Attack(name, extra=files) for name in ("write_weights_shared", "write_sqlite", "write_mkfifo",
                                                         "write_dir_fd", "write_grader_code")],
               Attack("forge_other_grades", extra={"ATTACKER": "aaa-forge_other_grades", "VICTIM": VICTIM}),
               Attack("zygote_job_line"),
               *[Attack(i, f, extra={"SIGNAL": sig, "STUDENTS": [f"aaa-{i}", VICTIM]}) for i, f, sig in stops],
               Attack("net_connect", extra={"HOST": "127.0.0.1", "PORT": server.getsockname()[1]}),
               Attack("spawn_leftovers")]
    chosen = {a.id: a for a in attacks if a.id in _selected(SANDBOX_ATTACKS)}
    for a in chosen.values():
        w.attacker(a.file, a.student, a.function, a.notebook, **a.extra)
    w.student(VICTIM)
    students = {a.student for a in chosen.values()} | {VICTIM}
    if not os.environ.get("GANBIAS_HOSTILE_ONLY"):
        wrong = {name: f"def {name}(y_true, y_pred, group):\n    return -1.0\n" for name in FUNCTIONS}
        for name, right in IDS.items():  # Zoé in nbgrader's layout: submitted/Zoé/ganbias/04_fairness.ipynb
            w.student(name, {f: wrong[f] for f in FUNCTIONS[right:]}, nested=name.endswith("\u00e9"))
        for link, thief in LINKS.items():
            if link == "student-folder-to-another-student":
                (w.subs / thief).symlink_to(w.subs / VICTIM, target_is_directory=True)
            elif link == "notebook-to-the-solution":
                (w.subs / thief).mkdir()
                (w.subs / thief / f"{NOTEBOOK}.ipynb").symlink_to(SOLUTION)
            else:
                (w.subs / thief).mkdir()
                (w.subs / thief / "ganbias").symlink_to(SOLUTION.parent, target_is_directory=True)
        students |= set(IDS) | set(LINKS.values())
    try:
        run = w.grade(env={"GANBIAS_HOSTILE_SECRET": environ_secret})
        stop.set()
        listener.join(5)
        yield Batch(w, run, chosen, students, {"connections": seen})
    finally:
        stop.set()
        server.close()
        clean_up(w, weights_backup)


def assert_attack_contained(batch: Batch, attack_id: str) -> Attack:
    """(a) to (f) for one attack of a batch."""
    attack = batch.attack(attack_id)
    assert_contained(batch.world, batch.run, attack.student, VICTIM, attack.function)
    return attack


# ------------------------------------------------------------------ 1. reading the answers


@pytest.mark.parametrize("attack", ["read_rebind_hook", "read_dir_fd", "read_torch_from_file", "read_etc_passwd",
                                    "read_grader_cmdline", "read_grader_environ"])
def test_reading_the_answers_earns_nothing(sandbox_batch: Batch, attack: str) -> None:
    assert_attack_contained(sandbox_batch, attack)


# ------------------------------------------------------------------ 2. writing outside


@pytest.mark.parametrize("attack", ["write_weights_shared", "write_sqlite", "write_mkfifo", "write_dir_fd",
                                    "write_grader_code"])
def test_writes_outside_the_sandbox_are_refused(sandbox_batch: Batch, attack: str) -> None:
    assert_attack_contained(sandbox_batch, attack)
    assert sorted(p.name for p in sandbox_batch.world.canary.iterdir()) == ["keep.txt"]


# ------------------------------------------------------------------ 3. one student sets other students' grades


def test_a_student_cannot_set_other_students_grades(sandbox_batch: Batch) -> None:
    attack = assert_attack_contained(sandbox_batch, "forge_other_grades")
    rows = sandbox_batch.run.rows
    assert rows is not None and float(rows[attack.student]["total"]) < float(rows[attack.student]["max_total"])
    assert float(rows[VICTIM]["total"]) == sum(POINTS.values())


# ------------------------------------------------------------------ 4. code outside the sandbox


def test_no_code_runs_outside_the_sandbox(sandbox_batch: Batch) -> None:
    assert_attack_contained(sandbox_batch, "zygote_job_line")
    assert not (sandbox_batch.world.canary / "PWNED-outside.txt").exists()


# ------------------------------------------------------------------ 5. the batch stops


@pytest.mark.parametrize("attack", ["pidfd-kill-parents", "kill-all", "stop-all", "flood-fds", "giant-value",
                                    "fifo-in-out"])
def test_the_batch_survives_a_submission(sandbox_batch: Batch, attack: str) -> None:
    assert_attack_contained(sandbox_batch, attack)


# ------------------------------------------------------------------ 6. network


def test_no_network(sandbox_batch: Batch) -> None:
    assert_attack_contained(sandbox_batch, "net_connect")
    seen = sandbox_batch.facts["connections"]
    assert seen == [], f"the sandbox opened {len(seen)} connection(s) to the test's listener"


# ------------------------------------------------------------------ 7. lost or stolen work


def _only_attacks(batch: Batch) -> None:
    if os.environ.get("GANBIAS_HOSTILE_ONLY"):
        pytest.skip("the ids and links are graded only in the whole batch")


def test_student_ids_are_kept_exactly(sandbox_batch: Batch) -> None:
    _only_attacks(sandbox_batch)
    run, world = sandbox_batch.run, sandbox_batch.world
    rows = assert_batch_finished(run, list(IDS), world.out)
    assert set(rows) == sandbox_batch.students, sorted(set(rows) ^ sandbox_batch.students)
    for name, right in IDS.items():
        assert rows[name]["status"] == "graded", rows[name]
        assert [_points(rows[name], f) for f in FUNCTIONS] == [POINTS[f] for f in FUNCTIONS[:right]] + \
            [0.0] * (len(FUNCTIONS) - right), (name, rows[name])
    assert_nothing_written_outside(world, run)


@pytest.mark.parametrize("link", list(LINKS))
def test_symlinks_in_submissions_are_not_followed(sandbox_batch: Batch, link: str) -> None:
    _only_attacks(sandbox_batch)
    run, world, thief = sandbox_batch.run, sandbox_batch.world, LINKS[link]
    rows = assert_batch_finished(run, [thief, VICTIM], world.out)
    assert float(rows[thief]["total"]) == 0, f"a symlink was followed and graded: {rows[thief]}"
    assert "link" in rows[thief]["problems"].lower(), f"the symlink is not reported: {rows[thief]}"
    assert_full_marks(rows[VICTIM])
    assert set(rows) == sandbox_batch.students
    assert_nothing_written_outside(world, run)


# ------------------------------------------------------------------ processes left behind


def test_no_process_outlives_its_student(sandbox_batch: Batch) -> None:
    assert_attack_contained(sandbox_batch, "spawn_leftovers")


# ------------------------------------------------------------------ 8. the grader around the sandbox (issue 25)


#: The attacks on the grader around the sandbox (issue 25, and the new ones found trying them again).
ROBUSTNESS_ATTACKS = ["stop_surrogate_print", "stop_undecodable_name", "stop_import_starts_program",
                      "stop_deep_folders", "stop_forged_frame_memory", "stop_large_results", "stop_syntax_trees",
                      "stop_sparse_timestamp", "stop_tmpfs_fill", "stop_sparse_notebook", "stop_many_notebooks",
                      "forge_inplace_report", "forge_weights_report", "leak_hidden_inputs", "late_subfolder_timestamp",
                      "keyring_channel", "csv_formula_name", "delegate_private_helper", "delegate_checks_helpers",
                      "html_injection"]
DUE = "2026-12-01T23:59"
#: A student whose id is a formula (a folder named so); their notebook is the full solution.
FORMULA_ID = "=1+1"
#: A Canvas roster whose display names the students chose (one a formula).
ROSTER = [("Student", "ID", "SIS User ID", "SIS Login ID", "Section"), ("    Points Possible", "", "", "", ""),
          ('=HYPERLINK("https:..example.invalid","x")', "aaa-csv_formula_name", "", "", "A"),
          ("Victim, Zed", VICTIM, "", "", "A"), ("@SUM(1)", FORMULA_ID, "", "", "+A")]


@pytest.fixture(scope="module")
def robustness_batch(tmp_path_factory: pytest.TempPathFactory, weights_backup: dict[Path, Path]):
    """The attacks on the grader around the sandbox (issue 25) in one batch with the victim, graded with --due,
    --canvas and --gradescope."""
    w = World(tmp_path_factory.mktemp("robustness-batch"))
    attacks = [Attack(i) for i in ROBUSTNESS_ATTACKS if i not in ("forge_inplace_report", "forge_weights_report",
                                                                  "keyring_channel")]
    attacks += [Attack("forge_inplace_report", function="remove_from_list", notebook="03_covariance"),
                Attack("forge_weights_report", function="steering_step", notebook="02_steering"),
                # the first leaves a key, the second (graded long after) finds it
                Attack("keyring_channel", student="aaa-keyring_channel"),
                Attack("keyring_channel-2", "keyring_channel", student="zz-keyring_channel")]
    wanted = set(_selected(ROBUSTNESS_ATTACKS))
    chosen = {a.id: a for a in attacks if a.id.removesuffix("-2") in wanted}
    for a in chosen.values():
        w.attacker(a.file, a.student, a.function, a.notebook, **a.extra)
    w.student(VICTIM)
    w.student(FORMULA_ID)
    roster = w.root / "roster.csv"
    with open(roster, "w", newline="") as f:
        csv.writer(f).writerows(ROSTER)
    try:
        run = w.grade(args=("--due", DUE, "--canvas", str(roster), "--gradescope"))
        yield Batch(w, run, chosen, {a.student for a in chosen.values()} | {VICTIM, FORMULA_ID})
    finally:
        clean_up(w, weights_backup)
        _remove_nested(w.subs / "aaa-stop_deep_folders" / "deep")


def _remove_nested(top: Path) -> None:
    """Remove a chain of folders deeper than shutil.rmtree's recursion allows, from the bottom up."""
    deepest = top
    while deepest.is_dir() and (deeper := next((p for p in deepest.iterdir() if p.is_dir()), None)) is not None:
        deepest = deeper
    while deepest != top.parent and deepest.is_dir():
        deepest.rmdir()
        deepest = deepest.parent


def assert_robust(batch: Batch, attack_id: str) -> Attack:
    """(a) to (g) for one attack of the robustness batch."""
    attack = assert_attack_contained(batch, attack_id)
    assert batch.run.returncode in (0, 1), f"ganbias grade did not exit normally {batch.run.why()}"
    assert batch.run.peak_rss < MEMORY_BOUND, f"the grader's peak memory is over the bound {batch.run.why()}"
    return attack


@pytest.mark.parametrize("attack", ["stop_surrogate_print", "stop_undecodable_name", "stop_import_starts_program",
                                    "stop_deep_folders"])
def test_the_batch_always_finishes(robustness_batch: Batch, attack: str) -> None:
    """A student's text, file names and imports never stop the batch nor make the student a grader error."""
    assert_robust(robustness_batch, attack)


@pytest.mark.parametrize("attack", ["stop_forged_frame_memory", "stop_large_results", "stop_syntax_trees",
                                    "stop_sparse_timestamp", "stop_tmpfs_fill"])
def test_memory_stays_bounded(robustness_batch: Batch, attack: str) -> None:
    """The grader's peak memory stays under MEMORY_BOUND; the sandbox's tmpfs holds no more than its size."""
    assert_robust(robustness_batch, attack)


@pytest.mark.parametrize("attack, said", [("stop_sparse_notebook", "over the 25 MB limit"),
                                          ("stop_many_notebooks", "notebooks: only")])
def test_no_time_outside_the_budget(robustness_batch: Batch, attack: str, said: str) -> None:
    """A huge sparse notebook is never read, a submission's notebooks are capped: the batch ends in time."""
    student = assert_robust(robustness_batch, attack).student
    problems = robustness_batch.run.rows[student]["problems"]  # type: ignore[index]
    assert said in problems, problems


@pytest.mark.parametrize("attack", ["forge_inplace_report", "forge_weights_report"])
def test_in_place_changes_are_found_by_the_grader(robustness_batch: Batch, attack: str) -> None:
    """An answer that changes its inputs or the models earns nothing, whatever its process reports."""
    student = assert_robust(robustness_batch, attack).student
    feedback = "".join(feedback_of(robustness_batch.world.out, student))
    assert "changed" in feedback, feedback


def test_hidden_inputs_never_reach_the_feedback(robustness_batch: Batch) -> None:
    """Nothing printed, raised or named during hidden checks (nor the request's hidden inputs) is shown."""
    import numpy as np

    from autograder.items import cases_of

    student = assert_robust(robustness_batch, "leak_hidden_inputs").student
    out = robustness_batch.world.out
    shown = "".join(feedback_of(out, student)) + "".join(
        p.read_text(errors="replace") for p in (out / "gradescope").rglob("*.json")) + \
        (out / "grades.csv").read_text(errors="replace")
    hidden = ["HX" + hashlib.sha256(repr([np.asarray(a).tolist() for a in case.args]).encode()).hexdigest()[:20]
              for case in cases_of(ATTACKED) if not case.visible]
    leaked = [d for d in hidden if d in shown]
    assert not leaked, f"{len(leaked)} hidden inputs' digests reached the feedback"
    from autograder.records import file_id

    own = "".join(feedback_of(out, student)) + "".join(
        p.read_text(errors="replace") for p in (out / "gradescope" / file_id(student)).rglob("*.json"))
    kinds = ("KeyError", "ZeroDivisionError", "ArithmeticError", "LookupError", "OverflowError", "IndexError")
    assert not [k for k in kinds if k in own], "an exception type chosen by a hidden input reached the feedback"
    assert "<cell" not in own, "the line a hidden call raised on reached the feedback"
    assert "HX" in shown, "the visible checks' output is no longer shown (the test would prove nothing)"


def test_the_timestamp_is_read_where_nbgrader_writes_it(robustness_batch: Batch) -> None:
    """An early timestamp.txt in a subfolder of the submission is ignored: nbgrader's says late."""
    attack = robustness_batch.attack("late_subfolder_timestamp")
    rows = assert_batch_finished(robustness_batch.run, [attack.student, VICTIM], robustness_batch.world.out)
    assert float(rows[attack.student]["late_penalty_pct"] or 0) > 0, rows[attack.student]
    assert_full_marks(rows[VICTIM])


def test_no_state_passes_between_students(robustness_batch: Batch) -> None:
    """A key one student's sandbox leaves in the kernel keyrings is not there for another's."""
    for attack_id in ("keyring_channel", "keyring_channel-2"):
        assert_robust(robustness_batch, attack_id)


def test_csv_cells_are_never_formulas(robustness_batch: Batch) -> None:
    """No cell of a CSV the grader wrote starts with = + - @ tab or CR unless it is a number."""
    robustness_batch.attack("csv_formula_name")
    out = robustness_batch.world.out
    written = sorted(out.glob("*.csv"))
    assert {p.name for p in written} >= {"grades.csv", "canvas.csv", "canvas_unmatched.csv"}, written
    for path in written:
        for row in csv.reader(path.read_text(encoding="utf-8").splitlines()):
            for cell in row:
                assert not (cell[:1] in ("=", "+", "-", "@", "\t", "\r")
                            and not re.fullmatch(r"[+-]?[\d.]+(e[+-]?\d+)?|[+-]?inf|nan", cell)), (path.name, cell)
    rows = robustness_batch.run.rows or {}
    assert "'" + FORMULA_ID in rows, sorted(rows)
    assert_full_marks(rows["'" + FORMULA_ID])


def test_every_student_has_a_row(robustness_batch: Batch) -> None:
    """The victim gets full marks and every student a row, whatever the others handed in."""
    rows = assert_batch_finished(robustness_batch.run, sorted(robustness_batch.students - {FORMULA_ID}),
                                 robustness_batch.world.out)
    assert_full_marks(rows[VICTIM])
    assert robustness_batch.run.returncode in (0, 1), robustness_batch.run.why()


@pytest.mark.parametrize("attack", ["delegate_private_helper", "delegate_checks_helpers"])
def test_no_credit_for_the_package_s_private_helpers(robustness_batch: Batch, attack: str) -> None:
    """The reference module's private helpers (``_gap``) and the checks' building blocks of the named mistakes
    (``_rates``, ``_gap`` of ``checks/nb04_fairness.py``) have no bodies in the sandbox: calling them earns nothing."""
    student = assert_robust(robustness_batch, attack).student
    feedback = "".join(feedback_of(robustness_batch.world.out, student))
    assert "write the computation yourself" in feedback, feedback


def test_the_class_report_holds_no_student_html(robustness_batch: Batch) -> None:
    """What an answer prints or raises (script, an image with onerror) never reaches report.html as markup."""
    assert_robust(robustness_batch, "html_injection")
    report = (robustness_batch.world.out / "report.html").read_text(encoding="utf-8")
    assert "<script>alert" not in report and "<img src=x" not in report, "a student's HTML reached report.html"
