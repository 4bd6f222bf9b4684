"""Grade students: find their notebooks, run their answers in the sandbox, score, write results.

One student at a time is :func:`grade_student`; :func:`grade_batch` runs many in
parallel, writes each result as soon as it is known (so an interrupted run loses
nothing and a rerun resumes), and rewrites ``grades.csv`` as it goes.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import stat
import sys
import time
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ganbias_helpers.checks.codec import Opaque
from ganbias_helpers.checks.core import Case

from . import class_report, sandbox
from .items import (
    ASSIGNMENT,
    Item,
    all_items,
    cases_of,
    graded_notebooks,
    helper_sources,
    is_ungraded_notebook,
    item_named,
    items_of,
    notebooks_named_in,
)
from .items.secret import describe as describe_secret
from .items.secret import fingerprint as secret_fingerprint
from .items.secret import read_secret
from .manual import pending_note
from .notebook import (
    MAX_NOTEBOOK_BYTES,
    AnswerProgram,
    SubmissionError,
    build_program,
    identify_notebook,
    lost_metadata,
    read_notebook,
)
from .records import (  # noqa: F401 (re-exported: the grader's results and writers, long imported from here)
    RESULT_VERSION,
    STATUSES,
    FunctionGrade,
    StudentGrade,
    csv_cell,
    file_id,
    printable,
    write_atomic,
    write_csv_rows,
)
from .sandbox import Call, CallResult, Isolation, Limits, SandboxError, World

#: Notebooks read per submission (the course has six; the rest are listed as problems, unread).
MAX_NOTEBOOKS = 8
#: Files and folders looked at in one student's folder (a folder of a million files is not walked whole).
MAX_ENTRIES = 10_000
#: Folders looked into below a student's folder (nbgrader's layout needs one: ``<student>/ganbias/``).
MAX_DEPTH = 6


@dataclass
class Submission:
    """What :func:`discover` found for one student.

    Attributes:
        files: Their notebook files.
        whole: Every graded notebook is expected (a folder), rather than only the files given.
        problems: What was found but not read (symbolic links...).
    """

    files: list[Path] = field(default_factory=list)
    whole: bool = False
    problems: list[str] = field(default_factory=list)


def _items_to_grade(todo: list[tuple[str, Submission]]) -> list[Item]:
    """The graded functions the submissions in ``todo`` can hold: those of the notebooks their files name.

    A folder (every notebook expected) or a file whose name names no notebook (its cells tell) can hold any.
    """
    named: set[str] = set()
    for _, sub in todo:
        if sub.whole:
            return list(all_items())
        for path in sub.files:
            found = notebooks_named_in(path.name)
            if not found:
                return list(all_items())
            named.update(found)
    return [item for item in all_items() if item.notebook in named]


def _student_of_file(path: Path) -> str:
    stem = path.stem
    if notebooks_named_in(stem) or is_ungraded_notebook(stem):
        for parent in path.absolute().parents:
            if parent.name and parent.name != ASSIGNMENT:
                return parent.name
    return stem


def _notebooks_in(folder: Path, problems: list[str]) -> list[Path]:
    """Notebook files under ``folder``, never following a symbolic link (each one is reported).

    At most :data:`MAX_NOTEBOOKS` are kept (the course's own names first), :data:`MAX_ENTRIES` entries looked
    at and :data:`MAX_DEPTH` folders down (a folder nested a thousand deep is reported, not walked).
    """
    found: list[Path] = []
    seen = 0
    stack = [(str(folder), 0)]
    while stack:
        current, depth = stack.pop()
        try:
            with os.scandir(current) as entries:
                for entry in entries:
                    seen += 1
                    if seen > MAX_ENTRIES:
                        problems.append(f"more than {MAX_ENTRIES} files and folders: the rest were not looked at")
                        return _kept_notebooks(found, problems)
                    rel = os.path.relpath(entry.path, folder)
                    if entry.is_symlink():
                        if entry.is_dir():
                            problems.append(f"{rel} is a symbolic link: not followed")
                        elif entry.name.endswith(".ipynb"):
                            problems.append(f"{rel} is a symbolic link: not followed, not graded")
                    elif entry.is_dir(follow_symlinks=False):
                        if entry.name.startswith("."):  # .ipynb_checkpoints and other hidden folders
                            continue
                        if depth + 1 > MAX_DEPTH:
                            problems.append(f"{rel} is more than {MAX_DEPTH} folders down: not looked into")
                        else:
                            stack.append((entry.path, depth + 1))
                    elif entry.name.endswith(".ipynb"):
                        found.append(Path(entry.path))
        except OSError as err:
            problems.append(f"{os.path.relpath(current, folder)} could not be read ({err.strerror})")
    return _kept_notebooks(found, problems)


def _kept_notebooks(found: list[Path], problems: list[str]) -> list[Path]:
    """The notebooks graded of those found: at most :data:`MAX_NOTEBOOKS`, the course's own names first."""
    found.sort(key=lambda p: (not (notebooks_named_in(p.name) or is_ungraded_notebook(p.name)), p))
    if len(found) > MAX_NOTEBOOKS:
        problems.append(f"{len(found)} notebooks: only {MAX_NOTEBOOKS} are read (the course's own names first); "
                        f"not read: {', '.join(p.name for p in found[MAX_NOTEBOOKS:MAX_NOTEBOOKS + 5])}"
                        + (" ..." if len(found) > MAX_NOTEBOOKS + 5 else ""))
    return sorted(found[:MAX_NOTEBOOKS])


def discover(paths: Iterable[str | os.PathLike]) -> dict[str, Submission]:
    """Map each student id to their notebook files, never following symbolic links.

    A file is one student's notebook (id: its name, or its folder's name when the
    file is named after a course notebook). A folder holding notebooks is one student
    (id: the folder's name) expected to hand in every graded notebook; a folder of
    folders (nbgrader's ``submitted/``) is one student per subfolder. Ids are kept
    exactly as named.

    Raises:
        FileNotFoundError: If a path does not exist.
        ValueError: If two different places give the same student id (named in the message).
    """
    students: dict[str, Submission] = {}
    origin: dict[str, str] = {}

    def add(student: str, where: Path, sub: Submission) -> None:
        if student in students:
            raise ValueError(f"two submissions for the student id {student!r}: {origin[student]} and {where}; "
                             "rename one (nothing was merged)")
        students[student], origin[student] = sub, str(where)

    for raw in paths:
        path = Path(raw)
        if path.is_symlink():
            add(path.name, path, Submission(problems=[f"{path.name} is a symbolic link: not followed"]))
        elif path.is_file():
            add(_student_of_file(path), path, Submission([path]))
        elif path.is_dir():
            entries = sorted(path.iterdir())
            if any(p.suffix == ".ipynb" for p in entries) or path.name == ASSIGNMENT:
                name = path.absolute().parent.name if path.name == ASSIGNMENT else path.name
                sub = Submission(whole=True)
                sub.files = _notebooks_in(path, sub.problems)
                add(name, path, sub)
            else:
                for entry in entries:
                    if entry.name.startswith("."):
                        continue
                    if entry.is_symlink():
                        add(entry.name, entry, Submission(whole=True, problems=[
                            f"the folder {entry.name} is a symbolic link: not followed"]))
                    elif entry.is_dir():
                        sub = Submission(whole=True)
                        sub.files = _notebooks_in(entry, sub.problems)
                        add(entry.name, entry, sub)
        else:
            raise FileNotFoundError(f"no such file or folder: {path}")
    return students


def fingerprint(files: list[Path]) -> str:
    """sha256 over the files' names and bytes.

    A file is looked at (``fstat``) before it is read: one that is not a regular file or is over the
    notebook size limit (refused unread when graded) counts by its size and modification time instead.
    """
    digest = hashlib.sha256()
    for f in files:
        digest.update(f.name.encode("utf-8", "surrogateescape") + b"\0")
        try:
            fd = os.open(f, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
            with os.fdopen(fd, "rb") as handle:
                info = os.fstat(handle.fileno())
                if not stat.S_ISREG(info.st_mode) or info.st_size > MAX_NOTEBOOK_BYTES:
                    digest.update(f"<not read: mode {info.st_mode:o}, {info.st_size} bytes, "
                                  f"{info.st_mtime_ns}>".encode())
                    continue
                left = MAX_NOTEBOOK_BYTES + 1
                while left > 0 and (chunk := handle.read(min(left, 1 << 20))):
                    digest.update(chunk)
                    left -= len(chunk)
        except OSError:
            digest.update(b"<unreadable>")
    return digest.hexdigest()


def _read_programs(grade: StudentGrade, files: list[Path], deadline: float = float("inf")) -> \
        tuple[dict[str, AnswerProgram], dict[str, str]]:
    """Each notebook's answer program; reading and parsing count against the student's time budget."""
    programs: dict[str, AnswerProgram] = {}
    unreadable: dict[str, str] = {}
    for path in files:
        named = next(iter(notebooks_named_in(path.name)), None)
        if time.monotonic() >= deadline:
            why = f"{path.name} was not read: your time budget was spent reading the notebooks before it"
            grade.problems.append(why)
            if named:
                unreadable[named] = why
            continue
        try:
            cells = read_notebook(path)
        except SubmissionError as err:
            grade.problems.append(str(err))
            if named:
                unreadable[named] = str(err)
            continue
        notebook = identify_notebook(path, cells)
        if notebook is None:
            if not is_ungraded_notebook(path.name):
                grade.problems.append(f"{path.name}: no graded functions found (is it a course notebook?)")
            continue
        if notebook in programs:
            grade.problems.append(f"{path.name}: a second copy of {notebook}; the one that sorts last was graded")
        if lost_metadata(cells):
            grade.problems.append(f"{path.name} has lost the course's cell metadata (as happens when the cells are "
                                  f"copied into a new notebook): graded as {notebook} by the functions' names; "
                                  "nbgrader cannot grade it, work in a copy of the notebook you were given")
        if path.name != f"{notebook}.ipynb" and path.parent.name == ASSIGNMENT and \
                path.parent.parent.parent.name == "submitted":
            grade.problems.append(f"{path.name} was graded as {notebook}; nbgrader grades only a file named "
                                  f"exactly {notebook}.ipynb (rename it before nbgrader autograde)")
        programs[notebook] = build_program(cells, notebook)
        unreadable.pop(notebook, None)
    return programs, unreadable


def grade_student(student: str, sub: Submission, world: World, limits: Limits | None = None) -> StudentGrade:
    """Grade one student's notebooks in the sandbox.

    One sandboxed process (a fresh one after a hang or crash) checks the independent
    functions first; only then does it receive the reference versions of the helpers
    that the other functions call, and define the notebooks again with those in place
    of the student's, for those functions' checks (one mistake costs one function, and
    no reference code is in the process while the student's own functions are checked).
    """
    limits = limits or Limits()
    started = time.monotonic()
    deadline = started + limits.student_budget_s
    grade = StudentGrade(student, [str(f) for f in sub.files], problems=list(sub.problems),
                         isolation=world.isolation.kind, fingerprint=fingerprint(sub.files))
    programs, unreadable = _read_programs(grade, sub.files, deadline)
    scope = [nb for nb in graded_notebooks() if sub.whole or nb in programs or nb in unreadable]
    pairs: list[tuple[Call, Case]] = []
    by_name: dict[str, FunctionGrade] = {}
    for notebook in scope:
        program = programs.get(notebook)
        for item in items_of(notebook):
            fg = by_name[item.name] = FunctionGrade(notebook, item.name, item.points)
            grade.functions.append(fg)
            if program is None:
                fg.messages.append(unreadable.get(notebook, f"{notebook}.ipynb was not handed in"))
            elif item.name in program.missing:
                fg.messages.append(program.missing[item.name])
            else:
                for i, case in enumerate(cases_of(item.name)):
                    watch = tuple(case.unchanged) + (tuple(j for j, a in enumerate(case.args) if isinstance(
                        a, sandbox.codec.ModelRef)) if case.models_untouched else ())
                    call = Call(f"{item.name}#{i}", notebook, item.name, case.args, case.kwargs, case.return_args,
                                watch, hidden=not case.visible, with_reference=bool(item.depends))
                    pairs.append((call, case))
    units = {nb: [(u.label, u.source) for u in p.units] for nb, p in programs.items() if nb in scope}
    cases = {call.id: case for call, case in pairs}
    verdicts: dict[str, tuple[str | None, str]] = {}

    def judge(call_id: str, result: CallResult) -> None:  # as each result arrives; its value is then dropped
        case = cases[call_id]
        secret = not case.visible or call_id in report.blind  # blind: hidden inputs or reference code were there
        if secret:
            _hide_student_text(result, *(() if not case.visible else (
                "checks made with the reference helpers", f'check("{case.function}") in your notebook shows them')))
        verdicts[call_id] = (_judged(case, result, secret), result.output.strip())

    report = sandbox.RunReport(on_result=judge)
    dependents = {call.function for call, _ in pairs if call.with_reference}
    helpers = {k: v for f in dependents for k, v in helper_sources(item_named(f)).items()}
    replace = {nb: sorted({d for f in dependents if item_named(f).notebook == nb for d in item_named(f).depends})
               for nb in units}
    try:
        sandbox.run(world, units, [call for call, _ in pairs], limits, deadline, helpers, replace, report)
    except SandboxError as err:
        grade.status = "grader_error"
        grade.problems.append(f"grader error (will be retried): {err}")
        grade.seconds = time.monotonic() - started
        return grade
    failures: dict[tuple[str, bool], list[tuple[str, str]]] = {}
    for call, case in pairs:
        fg = by_name[call.function]
        fg.total_cases += 1
        fg.hidden_cases += not case.visible
        if call.id not in verdicts:  # failed, hung or skipped: no value came back
            result = report.results.get(call.id)
            verdicts[call.id] = (_judged(case, result) if result else "no result came back", "")
        why, printed = verdicts.pop(call.id)
        if why is None:
            fg.passed_cases += 1
            fg.hidden_passed += not case.visible
            continue
        failures.setdefault((fg.name, case.visible), []).append((case.name, why))
        if printed and not any(m.startswith("what it printed") for m in fg.messages):
            fg.messages.append("what it printed: " + printed[:300])
    for (name, visible), failed in failures.items():
        fg = by_name[name]
        target, kind, of = (fg.messages, "visible", fg.visible_cases) if visible else \
            (fg.hidden_messages, "hidden", fg.hidden_cases)
        reasons = {why for _, why in failed}
        if len(failed) > 1 and len(reasons) == 1:
            target.insert(0, f"{len(failed)} of {of} {kind} checks: {failed[0][1]}")
        else:
            target[0:0] = [f"{case}: {why}" for case, why in failed]
    statuses = {r.status for r in report.results.values()}
    for fg in grade.functions:
        item = item_named(fg.name)
        if fg.total_cases and fg.passed_cases == fg.total_cases:
            fg.points = fg.max_points
        elif fg.total_cases:
            if item.depends:
                fg.messages.append(f"checked with the reference {', '.join(item.depends)} in place of yours")
            errors = list(dict.fromkeys(report.load_errors.get(fg.notebook, [])))  # each run reports them
            if errors:
                fg.messages.append("while running your cells: " + "; ".join(errors[:5]))
    if "timeout" in statuses:
        grade.status = "timed_out"
    elif "crashed" in statuses:
        grade.status = "crashed"
    elif not any(fg.total_cases for fg in grade.functions) and not programs:
        grade.status = "refused"
    grade.seconds = time.monotonic() - started
    return grade


def _judged(case: Case, result: CallResult, secret: bool | None = None) -> str | None:
    """``case.judge(result)``, for a secret case (default: a hidden one) without the student's detail.

    Neither the detail of a value that could not be checked nor the shape the student's code returned (an empty
    array's shape, ``(0, 72, 101, ...)``, can hold any numbers it chose: the hidden inputs).
    """
    why = case.judge(result)
    if secret is None:
        secret = not case.visible
    if why is None or not secret:
        return why
    if why.startswith("the returned value could not be checked"):
        return "the returned value could not be checked"
    return re.sub(r"\b(has|have) shape \([^)]*\)", r"\1 another shape", why)


def _anonymous(value: Any) -> Any:
    """``value`` with every object of an unsupported type renamed (its type's name is the student's text)."""
    if isinstance(value, Opaque):
        return Opaque("object of an unsupported type", "")
    if isinstance(value, (list, tuple)):
        return type(value)(_anonymous(v) for v in value)
    if isinstance(value, dict):
        return {k: _anonymous(v) for k, v in value.items()}
    return value


def _hide_student_text(result: CallResult, which: str = "hidden checks",
                       advice: str = "try your function on other inputs of the kind the exercise names") -> None:
    """Drop the text a student's code chose from a hidden case's result (or a later one's, see ``RunReport.blind``).

    So that no hidden input can come back in the feedback: what it printed, its exception's type, message and
    line (an answer can raise a type, or on a line, that the data chose), its objects' type names.
    """
    result.output = ""
    if result.status == "error":
        if result.error_type == "DelegationError":
            result.error = ("DelegationError: your answer calls the course package's own implementation of a "
                            "graded computation: write the computation yourself")
        else:
            result.error_type = "an exception"
            result.error = f"an exception (for {which} its type, message and line are not shown: {advice})"
    result.value = _anonymous(result.value)


def feedback_text(grade: StudentGrade) -> str:
    """Per-student feedback: what passed, what failed and why (no hidden expected values)."""
    lines = [f"Feedback for {grade.student}: {grade.total:g} / {grade.max_total:g} points", ""]
    if note := pending_note(fg.notebook for fg in grade.functions):  # written questions: graded by hand
        lines += [note, ""]
    if grade.status == "grader_error":
        lines += ["The grader itself had a problem with your submission; it will be graded again.", ""]
    elif grade.status != "graded":
        lines += [f"Status: {grade.status.replace('_', ' ')} (see the messages below).", ""]
    for problem in grade.problems:
        lines.append(f"! {problem}")
    if grade.problems:
        lines.append("")
    notebook = None
    for fg in grade.functions:
        if fg.notebook != notebook:
            notebook = fg.notebook
            lines.append(notebook)
        mark = "PASS" if fg.points == fg.max_points and fg.max_points > 0 else "FAIL"
        cases = f", {fg.passed_cases}/{fg.total_cases} checks" if fg.total_cases else ""
        lines.append(f"  [{mark}] {fg.name}: {fg.points:g}/{fg.max_points:g}{cases}")
        messages = fg.all_messages
        for message in messages[:8]:
            lines.append("        - " + message.replace("\n", " ")[:400])
        if len(messages) > 8:
            lines.append(f"        - ... and {len(messages) - 8} more")
    return "\n".join(lines) + "\n"


def gradescope_json(grade: StudentGrade) -> dict:
    """Gradescope's ``results.json`` for one student."""
    tests = []
    for fg in grade.functions:
        tests.append({"name": f"{fg.notebook}: {fg.name}", "score": fg.points, "max_score": fg.max_points,
                      "output": "\n".join(fg.all_messages) or "All checks passed.",
                      "visibility": "visible"})
    note = pending_note(fg.notebook for fg in grade.functions)  # the written questions are graded by hand
    return {"score": grade.total, "execution_time": round(grade.seconds, 2),
            "output": "\n".join([note, *grade.problems] if note else grade.problems), "tests": tests}


def write_csv(path: Path, grades: Iterable[StudentGrade]) -> None:
    """``grades.csv``: one row per student, a column per graded function, total, status and isolation."""
    names = [item.name for item in all_items()]
    rows = []
    for g in sorted(grades, key=lambda g: g.student):
        points = {fg.name: fg.points for fg in g.functions}
        rows.append([g.student, f"{g.total:g}", f"{g.max_total:g}", g.status, g.isolation]
                    + [f"{points[n]:g}" if n in points else "" for n in names] + [" | ".join(g.problems)])
    write_csv_rows(path, ["student", "total", "max_total", "status", "isolation", *names, "problems"], rows)


def _write_student(out: Path, grade: StudentGrade, gradescope: bool) -> None:
    """Write one student's results, feedback (and Gradescope file); a failure marks that student, never the batch."""
    fid = file_id(grade.student)
    try:
        write_atomic(out / "results" / f"{fid}.json", json.dumps(grade.to_json(), indent=1))
        write_atomic(out / "feedback" / f"{fid}.txt", feedback_text(grade))
        if gradescope:
            write_atomic(out / "gradescope" / fid / "results.json", json.dumps(gradescope_json(grade), indent=1))
    except (OSError, ValueError, TypeError, RecursionError) as err:
        grade.status = "grader_error"
        grade.problems.append(f"grader error (will be retried): the results could not be written "
                              f"({type(err).__name__}: {err})")


@dataclass
class BatchSummary:
    """What a batch run did.

    Attributes:
        grades: Every student's grade (this run's and resumed ones).
        graded: Students graded in this run.
        resumed: Students whose earlier result was kept.
        seconds: Wall-clock time of the run.
        isolation: How students' code was isolated, in words.
        hidden: Where the hidden cases came from, in words (the course secret or the public defaults).
    """

    grades: list[StudentGrade]
    graded: int
    resumed: int
    seconds: float
    isolation: str
    hidden: str = ""

    def text(self) -> str:
        """A short summary for the terminal."""
        gs = self.grades
        lines = [f"{len(gs)} students ({self.graded} graded now, {self.resumed} kept from an earlier run) "
                 f"in {self.seconds:.1f} s", f"isolation: {self.isolation}"] + ([self.hidden] if self.hidden else [])
        if gs:
            mean = sum(g.total for g in gs) / len(gs)
            lines.append(f"mean total {mean:.2f} / {max(g.max_total for g in gs):g}")
            counts: dict[str, list[int]] = {}
            for g in gs:
                for fg in g.functions:
                    c = counts.setdefault(fg.name, [0, 0])
                    c[0] += fg.points == fg.max_points
                    c[1] += 1
            for name, (ok, n) in counts.items():
                lines.append(f"  {name:<34} passed by {ok}/{n}")
            for status in STATUSES[1:]:
                who = [g.student for g in gs if g.status == status]
                if who:
                    lines.append(f"{status.replace('_', ' ')}: {', '.join(who[:20])}" + (" ..." if len(who) > 20
                                                                                         else ""))
            problems = [g.student for g in gs if g.problems]
            if problems:
                lines.append(f"students with file problems: {', '.join(problems[:20])}"
                             + (" ..." if len(problems) > 20 else ""))
        return "\n".join(lines)


def grade_batch(paths: Iterable[str | os.PathLike], out: str | os.PathLike, jobs: int = 2, force: bool = False,
                gradescope: bool = False, limits: Limits | None = None, isolation: Isolation | None = None,
                progress: bool = True, report: bool = True) -> BatchSummary:
    """Grade many submissions into ``out``; results are written as they come and a rerun resumes.

    Writes ``out/results/<id>.json``, ``out/feedback/<id>.txt`` (``<id>``: :func:`file_id`),
    ``out/grades.csv``, ``out/grading.json`` (how it was graded), ``out/report.html`` (the class report,
    :mod:`autograder.class_report`; not with ``report=False``, as for one student graded on a platform) and,
    with ``gradescope``, ``out/gradescope/<id>/results.json``.

    Raises:
        IsolationError: If no isolation is available (see :func:`autograder.sandbox.choose_isolation`).
        ValueError: If two submissions claim the same student id.
        RuntimeError: If the checks of a graded function cannot be built (before anyone is graded).
    """
    from tqdm.auto import tqdm

    started = time.monotonic()
    out = Path(out)
    isolation = isolation or sandbox.choose_isolation()
    students = discover(paths)
    secret = read_secret()
    hidden = {"hidden_cases": "course secret" if secret is not None else "public defaults",
              "hidden_cases_fingerprint": secret_fingerprint(secret), "hidden_cases_note": describe_secret(secret)}
    with contextlib.suppress(OSError, ValueError, AttributeError):  # results of other hidden cases are not kept
        before = json.loads((out / "grading.json").read_text(encoding="utf-8")).get("hidden_cases_fingerprint")
        force = force or before != hidden["hidden_cases_fingerprint"]
    results_dir = out / "results"
    done: dict[str, StudentGrade] = {}
    todo: list[tuple[str, Submission]] = []
    for student, sub in students.items():
        previous = results_dir / f"{file_id(student)}.json"
        if not force and previous.is_file() and not previous.is_symlink():
            try:
                old = StudentGrade.from_json(json.loads(previous.read_text(encoding="utf-8")))
                if old.student == student and old.status != "grader_error" and \
                        old.fingerprint == fingerprint(sub.files):
                    done[student] = old
                    continue
            except (ValueError, KeyError, TypeError):
                pass
        todo.append((student, sub))
    resumed = len(done)
    meta = {"isolation": isolation.kind, "isolation_description": isolation.describe(),
            "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "students": len(students), **hidden}
    write_atomic(out / "grading.json", json.dumps(meta, indent=1))
    if todo:
        for item in _items_to_grade(todo):  # their cases are built (a broken one reported) before any student runs
            try:
                cases_of(item.name, secret)
            except Exception as err:
                raise RuntimeError(f"the grader cannot build the checks of {item.name} ({item.notebook}): "
                                   f"{type(err).__name__}: {err}; nothing was graded") from err
        world = World(isolation)
        try:
            with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool, \
                    tqdm(total=len(todo), desc="grading", unit="student", disable=not progress) as bar:
                futures = {pool.submit(grade_student, student, sub, world, limits): student for student, sub in todo}
                for future in as_completed(futures):
                    student = futures[future]
                    try:
                        grade = future.result()
                    except Exception as err:  # a grader bug must not lose the batch
                        grade = StudentGrade(student, [], status="grader_error", isolation=isolation.kind,
                                             problems=[f"grader error (will be retried): {type(err).__name__}: "
                                                       f"{err}"])
                    done[student] = grade
                    _write_student(out, grade, gradescope)
                    write_csv(out / "grades.csv", done.values())
                    bar.set_postfix_str(printable(f"{student}: {grade.total:g}/{grade.max_total:g}"))
                    bar.update(1)
        finally:
            world.close()
    write_csv(out / "grades.csv", done.values())
    try:
        if report:
            class_report.write_report(list(done.values()), out)
    except Exception as err:  # a reading aid: the grades are written already, and stand
        print(f"ganbias grade: the class report could not be written ({type(err).__name__}: {err})", file=sys.stderr)
    if gradescope:
        for student, grade in done.items():
            target = out / "gradescope" / file_id(student) / "results.json"
            if not target.exists():
                write_atomic(target, json.dumps(gradescope_json(grade), indent=1))
    return BatchSummary(list(done.values()), len(todo), resumed, time.monotonic() - started, isolation.describe(),
                        hidden["hidden_cases_note"])
