"""Hostile submissions against ``ganbias grade`` (issue 10): each attack must be contained by the sandbox.

Every attack is a small answer cell in ``tests/hostile/`` (with the helpers of ``tests/hostile/_common.py``
pasted in front of it), put in place of ``demographic_parity_gap`` in a copy of the 04_fairness solution. The
grader runs as an instructor runs it, in a subprocess (``ganbias grade SUBMISSIONS --out OUT --jobs N``), on the
attacker and on a victim whose notebook is the full solution. Each test then asserts what a grader needs:

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
(f) the batch finishes within BOUND_S seconds and writes grades.csv with a row for every student.

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
#: Seconds the whole batch may take (grading two students takes about 30 s on 2 CPU cores).
BOUND_S = 180
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

    def why(self) -> str:
        return f"(exit {self.returncode}, {self.seconds:.0f} s, timed out: {self.timed_out})\n{self.output[-3000:]}"


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

    def student(self, name: str, answers: dict[str, str] | None = None, nested: bool = False) -> Path:
        """SUBMISSIONS/<name>/[ganbias/]04_fairness.ipynb: the solution with ``answers`` put in its cells."""
        nb = solution(NOTEBOOK)
        for grade_id, text in (answers or {}).items():
            set_source(nb, grade_id, text)
        folder = self.subs / name / ("ganbias" if nested else "")
        return save(nb, folder / f"{NOTEBOOK}.ipynb")

    def attacker(self, attack: str, name: str = ATTACKER, **extra: object) -> Path:
        return self.student(name, {ATTACKED: self.render(attack, **extra)})

    # -- grading

    def grade(self, jobs: int = 2, env: dict[str, str] | None = None) -> Run:
        out = self.out
        cmd = [str(Path(sys.executable).parent / "ganbias"), "grade", str(self.subs), "--out", str(out),
               "--jobs", str(jobs), "--no-progress"]
        full_env = dict(os.environ, TMPDIR=str(self.tmp), OMP_NUM_THREADS="1", MPLBACKEND="Agg", **(env or {}))
        log = self.root / "grader.log"
        tree: set[tuple[int, str]] = set()
        started = time.monotonic()
        with open(log, "wb") as sink:
            proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=sink, stderr=subprocess.STDOUT,
                                    env=full_env, cwd=self.root, start_new_session=True,
                                    preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_DATA, (DATA_CAP, DATA_CAP)))
            timed_out = False
            while proc.poll() is None:
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
        return Run(proc.returncode, seconds, timed_out, log.read_text(errors="replace"), rows, tree)

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


@pytest.fixture
def world(tmp_path: Path, weights_backup: dict[Path, Path]):
    w = World(tmp_path)
    yield w
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


def assert_contained(world: World, run: Run, attacker: str = ATTACKER, victim: str = VICTIM) -> None:
    """(a) to (f) for one attacker graded with one victim."""
    rows = assert_batch_finished(run, [attacker, victim], world.out)
    assert _points(rows[attacker], ATTACKED) == 0, f"the attack earned points: {rows[attacker]}"
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


# ------------------------------------------------------------------ 1. reading the answers


@pytest.mark.parametrize("attack", ["read_rebind_hook", "read_dir_fd", "read_torch_from_file", "read_etc_passwd",
                                    "read_grader_cmdline", "read_grader_environ"])
def test_reading_the_answers_earns_nothing(world: World, attack: str) -> None:
    secret = "hs" + secrets.token_hex(8)
    env = None
    if attack == "read_etc_passwd":
        world.attacker(attack, PASSWD_SHA256=hashlib.sha256(Path("/etc/passwd").read_bytes()).hexdigest())
    elif attack == "read_grader_cmdline":  # the secret is in the grader's argv: the name of --out
        world.out = world.root / f"out-{secret}"
        world.out.mkdir()
        world.attacker("read_grader_process", WHAT="cmdline", SECRET=secret)
    elif attack == "read_grader_environ":  # the secret is in the grader's environment
        env = {"GANBIAS_HOSTILE_SECRET": secret}
        world.attacker("read_grader_process", WHAT="environ", SECRET=secret)
    else:
        world.attacker(attack)
    world.student(VICTIM)
    run = world.grade(env=env)
    assert_contained(world, run)


# ------------------------------------------------------------------ 2. writing outside


@pytest.mark.parametrize("attack", ["write_weights_shared", "write_sqlite", "write_mkfifo", "write_dir_fd",
                                    "write_grader_code"])
def test_writes_outside_the_sandbox_are_refused(world: World, attack: str) -> None:
    world.attacker(attack, WEIGHTS=[str(p) for p in WEIGHTS], GRADER_FILES=[str(p) for p in GRADER_FILES])
    world.student(VICTIM)
    run = world.grade()
    assert_contained(world, run)
    assert sorted(p.name for p in world.canary.iterdir()) == ["keep.txt"]


# ------------------------------------------------------------------ 3. one student sets other students' grades


def test_a_student_cannot_set_other_students_grades(world: World) -> None:
    world.attacker("forge_other_grades", ATTACKER=ATTACKER, VICTIM=VICTIM)
    world.student(VICTIM)  # sorts after the attacker: graded next, with one job
    run = world.grade(jobs=1)
    assert_contained(world, run)
    rows = run.rows
    assert rows is not None and float(rows[ATTACKER]["total"]) < float(rows[ATTACKER]["max_total"])
    assert float(rows[VICTIM]["total"]) == sum(POINTS.values())


# ------------------------------------------------------------------ 4. code outside the sandbox


def test_no_code_runs_outside_the_sandbox(world: World) -> None:
    world.attacker("zygote_job_line")
    world.student(VICTIM)
    run = world.grade()
    assert_contained(world, run)
    assert not (world.canary / "PWNED-outside.txt").exists()


# ------------------------------------------------------------------ 5. the batch stops


@pytest.mark.parametrize("attack, signal_name", [("stop_pidfd_kill", ""), ("stop_kill_all", "SIGKILL"),
                                                 ("stop_kill_all", "SIGSTOP"), ("stop_flood", ""),
                                                 ("stop_giant_value", ""), ("stop_fifo_in_out", "")],
                         ids=["pidfd-kill-parents", "kill-all", "stop-all", "flood-fds", "giant-value",
                              "fifo-in-out"])
def test_the_batch_survives_a_submission(world: World, attack: str, signal_name: str) -> None:
    world.attacker(attack, SIGNAL=signal_name, STUDENTS=[ATTACKER, VICTIM])
    world.student(VICTIM)
    run = world.grade()
    assert_contained(world, run)


# ------------------------------------------------------------------ 6. network


@pytest.fixture
def listener():
    """A TCP listener on 127.0.0.1 that records every connection it accepts."""
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

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield server.getsockname()[1], seen
    stop.set()
    thread.join(5)
    server.close()


def test_no_network(world: World, listener: tuple[int, list]) -> None:
    port, seen = listener
    world.attacker("net_connect", HOST="127.0.0.1", PORT=port)
    world.student(VICTIM)
    run = world.grade()
    assert_contained(world, run)
    assert seen == [], f"the sandbox opened {len(seen)} connection(s) to the test's listener"


# ------------------------------------------------------------------ 7. lost or stolen work


def test_student_ids_are_kept_exactly(world: World) -> None:
    wrong = {name: f"def {name}(y_true, y_pred, group):\n    return -1.0\n" for name in FUNCTIONS}
    # Four ids that a lossy file-name cleaning merges in pairs; each with a different number of right answers.
    students = {unicodedata.normalize("NFC", "Zo\u00eb"): 1, unicodedata.normalize("NFC", "Zo\u00e9"): 2,
                "a b": 3, "a_b": 0}
    for name, right in students.items():  # Zoé in nbgrader's layout: submitted/Zoé/ganbias/04_fairness.ipynb
        world.student(name, {f: wrong[f] for f in FUNCTIONS[right:]}, nested=name.endswith("\u00e9"))
    run = world.grade()
    rows = assert_batch_finished(run, list(students), world.out)
    assert len(rows) == len(students), sorted(rows)
    for name, right in students.items():
        assert rows[name]["status"] == "graded", rows[name]
        assert [_points(rows[name], f) for f in FUNCTIONS] == [POINTS[f] for f in FUNCTIONS[:right]] + \
            [0.0] * (len(FUNCTIONS) - right), (name, rows[name])
    assert_nothing_written_outside(world, run)


@pytest.mark.parametrize("link", ["student-folder-to-another-student", "notebook-to-the-solution",
                                  "assignment-folder-to-the-solutions"])
def test_symlinks_in_submissions_are_not_followed(world: World, link: str) -> None:
    world.student(VICTIM)
    thief = "mallory"
    if link == "student-folder-to-another-student":
        (world.subs / thief).symlink_to(world.subs / VICTIM, target_is_directory=True)
    elif link == "notebook-to-the-solution":
        (world.subs / thief).mkdir()
        (world.subs / thief / f"{NOTEBOOK}.ipynb").symlink_to(SOLUTION)
    else:
        (world.subs / thief).mkdir()
        (world.subs / thief / "ganbias").symlink_to(SOLUTION.parent, target_is_directory=True)
    run = world.grade()
    rows = assert_batch_finished(run, [thief, VICTIM], world.out)
    assert float(rows[thief]["total"]) == 0, f"a symlink was followed and graded: {rows[thief]}"
    assert "link" in rows[thief]["problems"].lower(), f"the symlink is not reported: {rows[thief]}"
    assert_full_marks(rows[VICTIM])
    assert set(rows) == {thief, VICTIM}
    assert_nothing_written_outside(world, run)


# ------------------------------------------------------------------ processes left behind


def test_no_process_outlives_its_student(world: World) -> None:
    world.attacker("spawn_leftovers")
    world.student(VICTIM)
    run = world.grade()
    assert_contained(world, run)
