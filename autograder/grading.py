"""Grade students: find their notebooks, run their answers in the sandbox, score, write results.

One student at a time is :func:`grade_student`; :func:`grade_batch` runs many in
parallel, writes each result as soon as it is known (so an interrupted run loses
nothing and a rerun resumes), and rewrites ``grades.csv`` as it goes.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import re
import time
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

from .checks import Case, CaseBook
from .codec import ModelRef
from .notebook import AnswerProgram, SubmissionError, build_program, identify_notebook, read_notebook
from .sandbox import Call, Limits, SandboxError, run_submission, warm_up
from .spec import ASSIGNMENT, GRADED_ITEMS, GRADED_NOTEBOOKS, is_ungraded_notebook, items_of, notebooks_named_in

RESULT_VERSION = 1


@dataclass
class FunctionGrade:
    """The grade of one graded function.

    Attributes:
        notebook: Notebook stem.
        name: Function name.
        max_points: Points available.
        points: Points earned (all or nothing, as nbgrader's test cells).
        messages: Why points were lost, or notes.
        passed_cases: Cases passed.
        total_cases: Cases run.
    """

    notebook: str
    name: str
    max_points: float
    points: float = 0.0
    messages: list[str] = field(default_factory=list)
    passed_cases: int = 0
    total_cases: int = 0


@dataclass
class StudentGrade:
    """One student's result.

    Attributes:
        student: Student id (from the file or folder name).
        files: The files graded.
        functions: One entry per graded function in scope.
        problems: Problems with the files themselves (unreadable, not a notebook...).
        status: ``"graded"``, or ``"grader_error"`` when the grader itself failed (retried on rerun).
        fingerprint: Hash of the files' bytes (a changed submission is regraded).
        seconds: Time spent grading.
    """

    student: str
    files: list[str]
    functions: list[FunctionGrade] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    status: str = "graded"
    fingerprint: str = ""
    seconds: float = 0.0

    @property
    def total(self) -> float:
        """Points earned."""
        return sum(f.points for f in self.functions)

    @property
    def max_total(self) -> float:
        """Points available."""
        return sum(f.max_points for f in self.functions)

    def to_json(self) -> dict:
        """A JSON-able dict (the per-student results file)."""
        return {"version": RESULT_VERSION, **asdict(self), "total": self.total, "max_total": self.max_total}

    @classmethod
    def from_json(cls, data: dict) -> StudentGrade:
        """Rebuild from :meth:`to_json`'s output."""
        functions = [FunctionGrade(**f) for f in data.get("functions", [])]
        return cls(data["student"], list(data.get("files", [])), functions, list(data.get("problems", [])),
                   data.get("status", "graded"), data.get("fingerprint", ""), float(data.get("seconds", 0.0)))


def safe_id(name: str) -> str:
    """A student id usable as a file name."""
    cleaned = re.sub(r"[^A-Za-z0-9._@+-]+", "_", name).strip("._") or "student"
    return cleaned[:120]


def _student_of_file(path: Path) -> str:
    stem = path.stem
    if notebooks_named_in(stem) or is_ungraded_notebook(stem):
        for parent in path.resolve().parents:
            if parent.name and parent.name != ASSIGNMENT:
                return parent.name
    return stem


def discover(paths: Iterable[str | os.PathLike]) -> dict[str, tuple[list[Path], bool]]:
    """Map each student id to their notebook files and whether the whole assignment is expected.

    A file is one student's notebook (id: its name, or its folder's name when the
    file is named after a course notebook). A folder holding notebooks is one student
    (id: the folder's name) expected to hand in every graded notebook; a folder of
    folders (nbgrader's ``submitted/``) is one student per subfolder.
    """
    students: dict[str, tuple[list[Path], bool]] = {}

    def add(student: str, files: list[Path], whole: bool) -> None:
        key = safe_id(student)
        old, old_whole = students.get(key, ([], False))
        students[key] = (sorted(set(old) | set(files)), old_whole or whole)

    def notebooks_in(folder: Path) -> list[Path]:
        return sorted(p for p in folder.rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts and p.is_file())

    for raw in paths:
        path = Path(raw)
        if path.is_file():
            add(_student_of_file(path), [path], False)
        elif path.is_dir():
            if any(p.suffix == ".ipynb" for p in path.iterdir() if p.is_file()):
                name = path.resolve().parent.name if path.resolve().name == ASSIGNMENT else path.name
                add(name, notebooks_in(path), True)
            else:
                for sub in sorted(p for p in path.iterdir() if p.is_dir() and not p.name.startswith(".")):
                    add(sub.name, notebooks_in(sub), True)
        else:
            raise FileNotFoundError(f"no such file or folder: {path}")
    return students


def fingerprint(files: list[Path]) -> str:
    """sha256 over the files' names and bytes."""
    digest = hashlib.sha256()
    for f in files:
        digest.update(f.name.encode() + b"\0")
        try:
            with open(f, "rb") as handle:
                for chunk in iter(lambda: handle.read(1 << 20), b""):
                    digest.update(chunk)
        except OSError:
            digest.update(b"<unreadable>")
    return digest.hexdigest()


def grade_student(student: str, files: list[Path], book: CaseBook, limits: Limits | None = None,
                  whole_assignment: bool = False) -> StudentGrade:
    """Grade one student's notebooks.

    Args:
        student: Student id.
        files: Their notebook files.
        book: The prepared cases.
        limits: Sandbox limits.
        whole_assignment: Expect every graded notebook (missing ones score zero); otherwise
            only the notebooks found among ``files``.
    """
    started = time.monotonic()
    grade = StudentGrade(student, [str(f) for f in files], fingerprint=fingerprint(files))
    programs: dict[str, AnswerProgram] = {}
    unreadable: dict[str, str] = {}
    for path in files:
        named = next(iter(notebooks_named_in(path.name)), None)
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
        programs[notebook] = build_program(cells, notebook)
        unreadable.pop(notebook, None)
    scope = [nb for nb in GRADED_NOTEBOOKS if whole_assignment or nb in programs or nb in unreadable]
    calls: list[Call] = []
    case_of: dict[str, Case] = {}
    for notebook in scope:
        program = programs.get(notebook)
        for item in items_of(notebook):
            fg = FunctionGrade(notebook, item.name, book.refs.points(item.name))
            grade.functions.append(fg)
            if program is None:
                fg.messages.append(unreadable.get(notebook, f"{notebook}.ipynb was not handed in"))
                continue
            if item.name in program.missing:
                fg.messages.append(program.missing[item.name])
                continue
            for i, case in enumerate(book.cases.get(item.name, [])):
                call = Call(f"{item.name}#{i}", notebook, item.name, case.args, case.kwargs,
                            return_args=bool(case.unchanged))
                calls.append(call)
                case_of[call.id] = case
    if calls:
        needs_models = any(isinstance(a, ModelRef) for c in calls for a in c.args)
        try:
            report = run_submission({nb: programs[nb] for nb in programs if nb in scope}, calls, limits,
                                    needs_models=needs_models)
        except SandboxError as err:
            grade.status = "grader_error"
            grade.problems.append(f"grader error (will be retried): {err}")
            grade.seconds = time.monotonic() - started
            return grade
        by_name = {fg.name: fg for fg in grade.functions}
        for call in calls:
            fg = by_name[call.function]
            fg.total_cases += 1
            result = report.results.get(call.id)
            why = case_of[call.id].judge(result) if result else "no result"
            if why is None:
                fg.passed_cases += 1
            else:
                fg.messages.append(f"{case_of[call.id].name}: {why}")
        for fg in grade.functions:
            if fg.total_cases and fg.passed_cases == fg.total_cases:
                fg.points = fg.max_points
            elif fg.total_cases and fg.notebook in report.load_errors and report.load_errors[fg.notebook]:
                fg.messages.append("while defining your functions: " + "; ".join(report.load_errors[fg.notebook]))
    for fg in grade.functions:
        if fg.total_cases == 0 and not fg.messages and fg.name not in book.cases:
            fg.messages.append("not graded: the grader has no checks for it")
    grade.seconds = time.monotonic() - started
    return grade


def feedback_text(grade: StudentGrade) -> str:
    """Per-student feedback: what passed, what failed and why (no hidden expected values)."""
    lines = [f"Feedback for {grade.student}: {grade.total:g} / {grade.max_total:g} points", ""]
    if grade.status != "graded":
        lines += ["The grader itself had a problem with your submission; it will be graded again.", ""]
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
        for message in fg.messages[:8]:
            lines.append("        - " + message.replace("\n", " ")[:400])
        if len(fg.messages) > 8:
            lines.append(f"        - ... and {len(fg.messages) - 8} more")
    return "\n".join(lines) + "\n"


def gradescope_json(grade: StudentGrade) -> dict:
    """Gradescope's ``results.json`` for one student."""
    tests = []
    for fg in grade.functions:
        tests.append({"name": f"{fg.notebook}: {fg.name}", "score": fg.points, "max_score": fg.max_points,
                      "output": "\n".join(fg.messages) or "All checks passed.", "visibility": "visible"})
    return {"score": grade.total, "execution_time": round(grade.seconds, 2),
            "output": "\n".join(grade.problems), "tests": tests}


def _write_atomic(path: Path, text: str, newline: str | None = None) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8", newline=newline)
    os.replace(tmp, path)


def write_csv(path: Path, grades: Iterable[StudentGrade]) -> None:
    """``grades.csv``: one row per student, a column per graded function, total and max."""
    names = [item.name for item in GRADED_ITEMS]
    rows = []
    for g in sorted(grades, key=lambda g: g.student):
        points = {fg.name: fg.points for fg in g.functions}
        rows.append([g.student, f"{g.total:g}", f"{g.max_total:g}", g.status]
                    + [f"{points[n]:g}" if n in points else "" for n in names] + [" | ".join(g.problems)])
    text = io.StringIO(newline="")
    writer = csv.writer(text)
    writer.writerow(["student", "total", "max_total", "status", *names, "problems"])
    writer.writerows(rows)
    _write_atomic(path, text.getvalue(), newline="")


@dataclass
class BatchSummary:
    """What a batch run did.

    Attributes:
        grades: Every student's grade (this run's and resumed ones).
        graded: Students graded in this run.
        resumed: Students whose earlier result was kept.
        seconds: Wall-clock time of the run.
        warnings: Grader warnings (cases dropped...).
    """

    grades: list[StudentGrade]
    graded: int
    resumed: int
    seconds: float
    warnings: list[str]

    def text(self) -> str:
        """A short summary for the terminal."""
        gs = self.grades
        lines = [f"{len(gs)} students ({self.graded} graded now, {self.resumed} kept from an earlier run) "
                 f"in {self.seconds:.1f} s"]
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
            problems = [g.student for g in gs if g.problems]
            if problems:
                lines.append(f"students with file problems: {', '.join(problems[:20])}"
                             + (" ..." if len(problems) > 20 else ""))
            errors = [g.student for g in gs if g.status != "graded"]
            if errors:
                lines.append(f"GRADER ERRORS (rerun to retry): {', '.join(errors)}")
        lines += [f"warning: {w}" for w in self.warnings]
        return "\n".join(lines)


def needed_functions(todo: Iterable[tuple[str, list[Path], bool]]) -> list[str]:
    """The graded functions that a batch may need checks for (all, unless every file is named after its notebook)."""
    notebooks: set[str] = set()
    for _student, files, whole in todo:
        if whole:
            return [item.name for item in GRADED_ITEMS]
        for f in files:
            named = notebooks_named_in(f.name)
            if not named and not is_ungraded_notebook(f.name):
                return [item.name for item in GRADED_ITEMS]
            notebooks.update(named)
    return [item.name for item in GRADED_ITEMS if item.notebook in notebooks]


def grade_batch(paths: Iterable[str | os.PathLike], out: str | os.PathLike, jobs: int = 2, force: bool = False,
                gradescope: bool = False, limits: Limits | None = None, solutions: str | os.PathLike | None = None,
                progress: bool = True) -> BatchSummary:
    """Grade many submissions into ``out``; results are written as they come and a rerun resumes.

    Writes ``out/results/<student>.json``, ``out/feedback/<student>.txt``, ``out/grades.csv`` and, with
    ``gradescope``, ``out/gradescope/<student>/results.json``.

    Raises:
        RuntimeError: If an expected answer cannot be computed (solutions missing): nothing is graded.
    """
    from tqdm.auto import tqdm

    from .references import References

    started = time.monotonic()
    out = Path(out)
    students = discover(paths)
    results_dir = out / "results"
    done: dict[str, StudentGrade] = {}
    todo: list[tuple[str, list[Path], bool]] = []
    for student, (files, whole) in students.items():
        previous = results_dir / f"{student}.json"
        if not force and previous.exists():
            try:
                old = StudentGrade.from_json(json.loads(previous.read_text(encoding="utf-8")))
                if old.status == "graded" and old.fingerprint == fingerprint(files):
                    done[student] = old
                    continue
            except (ValueError, KeyError, TypeError):
                pass
        todo.append((student, files, whole))
    resumed = len(done)
    warnings: list[str] = []
    if todo:
        limits = limits or Limits()  # a zygote pays off from the second student on
        limits = replace(limits, use_zygote=limits.use_zygote and len(todo) > 1)
        warm_up(limits)
        book = CaseBook(References(solutions), needed_functions(todo))
        if book.errors:
            raise RuntimeError("cannot compute expected answers: " + "; ".join(book.errors.values()))
        warnings = book.warnings

        def one(job: tuple[str, list[Path], bool]) -> StudentGrade:
            return grade_student(job[0], job[1], book, limits, whole_assignment=job[2])

        with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool, \
                tqdm(total=len(todo), desc="grading", unit="student", disable=not progress) as bar:
            futures = {pool.submit(one, job): job[0] for job in todo}
            for future in as_completed(futures):
                student = futures[future]
                try:
                    grade = future.result()
                except Exception as err:  # a grader bug must not lose the batch
                    grade = StudentGrade(student, [], status="grader_error",
                                         problems=[f"grader error (will be retried): {type(err).__name__}: {err}"])
                done[student] = grade
                _write_atomic(results_dir / f"{student}.json", json.dumps(grade.to_json(), indent=1))
                _write_atomic(out / "feedback" / f"{student}.txt", feedback_text(grade))
                if gradescope:
                    _write_atomic(out / "gradescope" / student / "results.json",
                                  json.dumps(gradescope_json(grade), indent=1))
                write_csv(out / "grades.csv", done.values())
                bar.set_postfix_str(f"{student}: {grade.total:g}/{grade.max_total:g}")
                bar.update(1)
    else:  # nothing left to grade: the table still lists everyone found
        write_csv(out / "grades.csv", done.values())
    if gradescope:
        for student, grade in done.items():
            target = out / "gradescope" / student / "results.json"
            if not target.exists():
                _write_atomic(target, json.dumps(gradescope_json(grade), indent=1))
    return BatchSummary(list(done.values()), len(todo), resumed, time.monotonic() - started, warnings)
