"""Grade corpus answers with real ``nbgrader autograde`` and with ``ganbias grade``, and compare per function.

Used by ``make agreement`` (the whole corpus, ``scripts/agreement.py``) and by tests/test_agreement.py
(a sample covering every graded notebook). :func:`grade_corpus` grades the whole corpus in one
``ganbias grade`` batch (tests/test_corpus.py, and the agreement sample when both run).
"""

from __future__ import annotations

import dataclasses
import os
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from autograder_support import make_course, nbgrader, save, solution, submit
from corpus_support import Entry, build_notebook

from autograder import sandbox
from autograder.grading import StudentGrade, grade_batch
from autograder.items import ASSIGNMENT, item_named, items_of

#: Small steering runs while nbgrader executes whole notebooks: the graded checks do not depend on them.
FAST_EXPERIMENTS = "8,2"


@dataclass
class Agreement:
    """Per (student, function): the points nbgrader gave, ours, and the corpus's fair points."""

    rows: list[tuple[str, str, float, float, float]] = field(default_factory=list)
    seconds_nbgrader: float = 0.0
    seconds_ours: float = 0.0
    hidden: str = ""

    @property
    def disagreements(self) -> list[tuple[str, str, float, float, float]]:
        """Rows where nbgrader and ours differ."""
        return [r for r in self.rows if r[2] != r[3]]

    @property
    def unfair(self) -> list[tuple[str, str, float, float, float]]:
        """Rows where ours differs from the corpus's fair points."""
        return [r for r in self.rows if r[3] != r[4]]

    def text(self) -> str:
        """A report for the terminal."""
        students = {r[0] for r in self.rows}
        lines = [f"{len(students)} answers, {len(self.rows)} graded functions; nbgrader autograde "
                 f"{self.seconds_nbgrader:.0f} s, ganbias grade {self.seconds_ours:.0f} s",
                 f"disagreements between nbgrader and ganbias grade: {len(self.disagreements)}",
                 f"points different from the corpus's fair points: {len(self.unfair)}"] + \
            ([self.hidden] if self.hidden else [])
        for student, fn, theirs, ours, fair in self.disagreements + self.unfair:
            lines.append(f"  {student:<60} {fn:<32} nbgrader {theirs:g}  ganbias {ours:g}  fair {fair:g}")
        return "\n".join(lines)


def student_id(entry: Entry) -> str:
    """The corpus entry as a student id (unique)."""
    return f"{entry.function}--{entry.label}"


def expected_points(entry: Entry) -> dict[str, float]:
    """Fair points of every graded function of the entry's notebook (the rest of the notebook is the solution)."""
    notebook = item_named(entry.function).notebook
    return {i.name: entry.points.get(i.name, i.points) for i in items_of(notebook)}


def answered(entry: Entry) -> set[str]:
    """The graded functions an entry's cells answer, and every name they bind at their top level.

    Two entries binding one name (a helper, an import under a name) never share a notebook: neither can change
    what the other's function calls.
    """
    import ast

    from autograder.notebook import _defined_names

    names = set(entry.cells)
    for source in entry.cells.values():
        try:
            names |= _defined_names(ast.parse(source))
        except SyntaxError:
            continue
    return names


def corpus_class(entries: list[Entry]) -> dict[str, dict[str, list[Entry]]]:
    """Deal the entries out to as few students as can hold them, as a class grades them.

    Each student's copy of a notebook holds several entries' answers, at most one per graded function
    (:func:`answered`): an entry answering a helper and the function built on it takes both places. The rest
    of each notebook is the solution's. A function's grade depends only on its own answer (the grader calls a
    function built on helpers with the reference helpers in place), so each entry is judged as if alone, and a
    class of 154 answers is 19 students, not 154.

    Returns:
        Student id -> notebook -> the entries whose answers are in that student's copy of the notebook.
    """
    students: list[tuple[set[str], dict[str, list[Entry]]]] = []
    for entry in sorted(entries, key=lambda e: -len(answered(e))):  # the widest first: fewer students
        places, notebook = answered(entry), item_named(entry.function).notebook
        home = next((s for s in students if not s[0] & places), None)
        if home is None:
            home = (set(), {})
            students.append(home)
        home[0].update(places)
        home[1].setdefault(notebook, []).append(entry)
    return {f"corpus-student-{i + 1:03d}": notebooks for i, (_, notebooks) in enumerate(students)}


def class_notebook(entries: list[Entry], notebook: str) -> dict:
    """The solution of ``notebook`` with the answers of ``entries`` (for different functions) put in."""
    built = solution(notebook)
    for entry in entries:
        built = build_notebook(entry, built)
    return built


def grade_corpus(entries: list[Entry], workdir: Path, jobs: int = 2) -> dict[str, StudentGrade]:
    """Grade ``entries`` with one ``ganbias grade`` batch, as an instructor grades a class; entry name -> grade.

    The entries are dealt out to a class (:func:`corpus_class`). Each entry's grade holds only the graded
    functions its cells answer (``entry.points``).
    """
    submitted, students = workdir / "submitted", corpus_class(entries)
    for student, notebooks in students.items():
        for notebook, mine in notebooks.items():
            save(class_notebook(mine, notebook), submitted / student / f"{notebook}.ipynb")
    summary = grade_batch([submitted], workdir / "out", jobs=jobs, progress=False, force=True,
                          isolation=sandbox.choose_isolation(trusted=True))
    grades = {g.student: g for g in summary.grades}
    return {entry.name: dataclasses.replace(grades[student], functions=[
        f for f in grades[student].functions if f.name in entry.points])
        for student, notebooks in students.items() for mine in notebooks.values() for entry in mine}


def run_agreement(entries: list[Entry], workdir: Path, jobs: int = 2,
                  graded: dict[str, StudentGrade] | Callable[[], dict[str, StudentGrade]] | None = None) -> Agreement:
    """Grade ``entries`` both ways: nbgrader in up to ``jobs`` fresh nbgrader courses under ``workdir``, and ours.

    The entries are dealt out to a class as :func:`grade_corpus` deals them (:func:`corpus_class`: each
    student's notebook holds several entries' answers, one per graded function), so nbgrader runs each notebook
    of a few students rather than a notebook per entry. ``nbgrader autograde`` runs one notebook at a time, so
    the students are dealt out to ``jobs`` courses graded side by side (each its own gradebook). ``graded``: the
    entries' grades from :func:`grade_corpus` where the corpus is graded in this session anyway, or a function
    returning them, called once nbgrader is done (so another process can grade the corpus meanwhile); ours is
    then not graded again, and nbgrader runs under the same hidden cases it was graded with). Otherwise both
    run under a course secret: the course's own when there is one, else a fresh random one for this run
    (nbgrader's kernels and ``ganbias grade`` read it from the environment), so that the hidden cases are not
    the public defaults, as in a real course.
    """
    from autograder.items.secret import SECRET_ENV, describe, read_secret

    if graded is None and read_secret() is None:
        import secrets

        os.environ[SECRET_ENV] = secrets.token_hex(16)
        try:
            return run_agreement(entries, workdir, jobs)
        finally:
            del os.environ[SECRET_ENV]
    students = corpus_class(entries)
    names = list(students)
    parts = [part for part in (names[i::max(1, jobs)] for i in range(max(1, jobs))) if part]

    def autograde(index: int, part: list[str]) -> Path:
        course = make_course(workdir / f"part{index + 1}", sorted({nb for s in part for nb in students[s]}))
        for student in part:
            submit(course, student, {nb: class_notebook(mine, nb) for nb, mine in students[student].items()})
        nbgrader(course, "autograde", ASSIGNMENT, "--create", "--force", timeout=7200)
        return course

    report = Agreement(hidden=describe(read_secret()))
    started = time.monotonic()
    previous = os.environ.get("GANBIAS_EXPERIMENT_SIZE")
    os.environ["GANBIAS_EXPERIMENT_SIZE"] = FAST_EXPERIMENTS
    try:
        with ThreadPoolExecutor(max_workers=len(parts)) as pool:
            courses = list(pool.map(autograde, range(len(parts)), parts))
    finally:
        if previous is None:
            del os.environ["GANBIAS_EXPERIMENT_SIZE"]
        else:
            os.environ["GANBIAS_EXPERIMENT_SIZE"] = previous
    report.seconds_nbgrader = time.monotonic() - started
    started = time.monotonic()
    if callable(graded):
        graded = graded()
    if graded is None:
        files = [course / "submitted" / s / ASSIGNMENT for course, part in zip(courses, parts) for s in part]
        summary = grade_batch(files, workdir / "ours", jobs=jobs, progress=False, force=True,
                              isolation=sandbox.choose_isolation(trusted=True))
        by_student = {g.student: {f.name: f.points for f in g.functions} for g in summary.grades}
        ours = {e.name: by_student.get(student, {}) for student, nbs in students.items() for mine in nbs.values()
                for e in mine}
    else:
        ours = {e.name: {f.name: f.points for f in graded[e.name].functions} for e in entries}
    report.seconds_ours = time.monotonic() - started
    from nbgrader.api import Gradebook

    for course, part in zip(courses, parts):
        with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
            for student in part:
                for notebook, mine in students[student].items():
                    for entry in mine:
                        for fn, fair in entry.points.items():  # the functions it answers
                            theirs = float(gb.find_grade(f"test_{fn}", notebook, ASSIGNMENT, student).score)
                            report.rows.append((f"{student}: {student_id(entry)}", fn, theirs,
                                                ours.get(entry.name, {}).get(fn, -1.0), fair))
    return report
