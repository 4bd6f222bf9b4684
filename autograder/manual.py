"""Written questions: graded by hand, listed by the grader, and their hand scores merged into grades.csv.

From notebook 02 on, every notebook has written questions: nbgrader "manually graded answer" cells
(markdown, with points and a rubric that ``nbgrader generate_assignment`` strips from the release). The
autograder cannot score them, so it says so everywhere a score appears:

* ``grades.csv`` gains ``hand-graded`` (points entered by hand so far), ``to grade by hand`` (written-question
  points still missing for the notebooks the student handed in) and ``total with hand-graded``;
* each student's feedback and Gradescope's ``results.json`` say that the score is the autograded part only;
* ``ganbias grade ... --manual-scores FILE`` merges hand scores: a CSV with the columns
  ``student,question,points`` (``question`` is the answer cell's grade id, e.g. ``written_necktie``, as
  listed in ``autograder/manual_questions.json``). Rerunning with a longer file replaces the columns.

The list of questions, ``manual_questions.json``, is written from the solutions' metadata by
``scripts/course_cells.py`` (``make notebooks``), so the grader needs no solution notebook at grading time.
"""

from __future__ import annotations

import csv
import functools
import io
import json
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path

#: The written questions of the course, written by ``scripts/course_cells.py`` from the solutions.
QUESTIONS_FILE = Path(__file__).with_name("manual_questions.json")
#: Columns added to grades.csv.
COLUMNS = ("hand-graded", "to grade by hand", "total with hand-graded")


@dataclass(frozen=True)
class ManualQuestion:
    """One written question.

    Attributes:
        notebook: Notebook stem, e.g. ``"03_covariance"``.
        grade_id: The answer cell's nbgrader grade id (how a hand-scores file names the question).
        points: Points available.
        title: The question's heading, for people reading the list.
    """

    notebook: str
    grade_id: str
    points: float
    title: str


def questions_from_notebooks(folder: str | Path) -> list[ManualQuestion]:
    """The written questions of the solution notebooks in ``folder``, in course order.

    A written question is a markdown cell that nbgrader marks as a graded answer (``solution`` and
    ``grade``); its title is the heading of the locked question cell just before it.
    """
    found = []
    for path in sorted(Path(folder).glob("*.ipynb")):
        cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
        for i, cell in enumerate(cells):
            meta = cell.get("metadata", {}).get("nbgrader", {})
            if cell.get("cell_type") == "markdown" and meta.get("solution") and meta.get("grade"):
                before = "".join(cells[i - 1]["source"]) if i else ""
                title = before.splitlines()[0].lstrip("# ").strip() if before.strip() else meta["grade_id"]
                found.append(ManualQuestion(path.stem, meta["grade_id"], float(meta.get("points", 0)), title))
    return found


def write_questions(questions: Iterable[ManualQuestion]) -> str:
    """The text of ``manual_questions.json`` for ``questions``."""
    return json.dumps([asdict(q) for q in questions], indent=1) + "\n"


@functools.cache
def manual_questions() -> tuple[ManualQuestion, ...]:
    """Every written question of the course (from :data:`QUESTIONS_FILE`)."""
    if not QUESTIONS_FILE.exists():
        return ()
    return tuple(ManualQuestion(**q) for q in json.loads(QUESTIONS_FILE.read_text(encoding="utf-8")))


def manual_points(notebooks: Iterable[str]) -> float:
    """Points of the written questions in ``notebooks`` (stems)."""
    wanted = set(notebooks)
    return sum(q.points for q in manual_questions() if q.notebook in wanted)


def pending_note(notebooks: Iterable[str]) -> str:
    """One sentence for feedback and results: the written questions this score leaves out ("" if none)."""
    notebooks = sorted(set(notebooks))
    questions = [q for q in manual_questions() if q.notebook in notebooks]
    if not questions:
        return ""
    total = sum(q.points for q in questions)
    return (f"This score is the autograded part only: {len(questions)} written question(s) worth {total:g} points "
            f"({', '.join(notebooks)}) are graded by hand by your instructor and are not included.")


def read_manual_scores(path: str | Path) -> dict[str, dict[str, float]]:
    """Read hand scores: a CSV with the columns ``student,question,points``, one row per answer.

    Returns:
        ``{student: {question grade id: points}}``.

    Raises:
        ValueError: If a column is missing, a question is unknown, points are not a number or lie outside
            0 to the question's points, or a (student, question) pair appears twice; the message names the line.
        OSError: If the file cannot be read.
    """
    points_of = {q.grade_id: q.points for q in manual_questions()}
    text = Path(path).read_text(encoding="utf-8-sig")
    reader = csv.DictReader(io.StringIO(text))
    missing = {"student", "question", "points"} - set(reader.fieldnames or [])
    if missing:
        raise ValueError(f"{path}: the hand-scores file needs the columns student,question,points "
                         f"(missing: {', '.join(sorted(missing))})")
    scores: dict[str, dict[str, float]] = {}
    for line, row in enumerate(reader, start=2):
        student, question, raw = (row["student"] or "").strip(), (row["question"] or "").strip(), row["points"]
        where = f"{path}, line {line}"
        if not student:
            raise ValueError(f"{where}: no student")
        if question not in points_of:
            raise ValueError(f"{where}: unknown question {question!r}; the written questions are: "
                             f"{', '.join(points_of)}")
        try:
            value = float((raw or "").strip())
        except ValueError:
            raise ValueError(f"{where}: points must be a number, not {raw!r}") from None
        if not 0 <= value <= points_of[question]:
            raise ValueError(f"{where}: {value:g} points for {question}, which is worth 0 to {points_of[question]:g}")
        if question in scores.setdefault(student, {}):
            raise ValueError(f"{where}: {student} has a score for {question} already")
        scores[student][question] = value
    return scores


#: The first line of the hand scores' part of a student's feedback file (a rerun replaces what follows it).
HAND_SCORES_HEADING = "Written questions, graded by hand"


def _add_to_feedback(out: Path, student: str, given: dict[str, float], pending: float, autograded: float,
                     by_id: dict[str, ManualQuestion]) -> None:
    """Put the student's hand scores at the end of ``out/feedback/<id>.txt`` (replacing earlier ones).

    ``by_id``: every written question by its grade id.
    """
    from .records import file_id, write_atomic

    path = out / "feedback" / f"{file_id(student)}.txt"
    if not path.is_file():
        return
    text = path.read_text(encoding="utf-8").split("\n" + HAND_SCORES_HEADING, 1)[0].rstrip("\n") + "\n"
    hand = sum(given.values())
    lines = ["", f"{HAND_SCORES_HEADING}: {hand:g} points; with the autograded {autograded:g}, "
                 f"your total is {autograded + hand:g}."]
    lines += [f"  {grade_id}: {points:g}/{by_id[grade_id].points:g}" for grade_id, points in sorted(given.items())]
    if pending:
        lines.append(f"  still to be graded by hand: {pending:g} points")
    write_atomic(path, text + "\n".join(lines) + "\n")


def apply_manual_scores(out: str | Path, grades: Iterable, scores: dict[str, dict[str, float]] | None = None
                        ) -> list[str]:
    """Add the :data:`COLUMNS` to ``out/grades.csv`` (replacing earlier ones) from ``scores``.

    Each student given hand scores finds them, and the total with them, at the end of their feedback file.

    ``grades`` are the batch's ``StudentGrade`` objects: a student's written questions are those of the
    notebooks graded for them. A hand score for a notebook the student did not hand in is kept and counted.

    Returns:
        Lines for the batch summary.
    """
    from .records import write_atomic

    out = Path(out)
    scores = scores or {}
    by_id = {q.grade_id: q for q in manual_questions()}
    notebooks = {g.student: {fg.notebook for fg in g.functions} for g in grades}
    rows = list(csv.reader(io.StringIO((out / "grades.csv").read_text(encoding="utf-8"))))
    header, body = rows[0], rows[1:]
    keep = [i for i, name in enumerate(header) if name not in COLUMNS]
    total_at = header.index("total")
    new_rows = [[header[i] for i in keep] + list(COLUMNS)]
    pending_students = 0
    for row in body:
        student = row[0]
        given = scores.get(student, {})
        asked = {q.grade_id for q in manual_questions() if q.notebook in notebooks.get(student, set())}
        hand = sum(given.values())
        pending = sum(by_id[q].points for q in asked - set(given))
        pending_students += pending > 0
        new_rows.append([row[i] for i in keep] + [f"{hand:g}", f"{pending:g}", f"{float(row[total_at]) + hand:g}"])
        if given:
            _add_to_feedback(out, student, given, pending, float(row[total_at]), by_id)
    text = io.StringIO(newline="")
    csv.writer(text).writerows(new_rows)
    write_atomic(out / "grades.csv", text.getvalue(), newline="")
    unknown = sorted(set(scores) - set(notebooks))
    lines = [f"written questions: hand scores for {sum(len(v) for v in scores.values())} answers merged; "
             f"{pending_students} student(s) still have written answers to grade by hand"]
    if unknown:
        lines.append(f"hand scores for students not in this batch (ignored): {', '.join(unknown)}")
    return lines
