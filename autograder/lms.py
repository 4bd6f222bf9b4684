"""After a batch: late penalties (nbgrader's ``timestamp.txt`` against a due date) and a Canvas gradebook CSV.

Both run on what :func:`autograder.grading.grade_batch` wrote and change nothing of how a
function is graded:

* **late submissions** (``ganbias grade ... --due 2026-12-01T23:59``): a student's hand-in time is
  the ``timestamp.txt`` nbgrader writes beside each submission (``submitted/<student>/ganbias/``);
  each day or part of a day past the due date (after a grace period) costs a percentage of the
  points earned, up to a cap. ``grades.csv`` gains ``submitted``, ``late_hours``,
  ``late_penalty_pct`` and ``final_total`` columns, and the student's feedback says what was
  taken and why. A submission without a timestamp is taken as on time, and said so.
* **Canvas** (``--canvas ROSTER.csv``, the gradebook CSV Canvas exports): ``canvas.csv`` in
  Canvas's import layout (Student, ID, SIS User ID, SIS Login ID, Section, then the assignment's
  column) with each matched student's final total; students are matched by their id, SIS ids or
  login (also the login's part before ``@``), case-insensitively. Submissions that match nobody
  and roster students without a submission are listed in ``canvas_unmatched.csv`` and the summary.
"""

from __future__ import annotations

import csv
import io
import math
import os
import re
import stat
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .items import ASSIGNMENT
from .records import StudentGrade, csv_cell, file_id, write_atomic, write_csv_rows

#: Canvas's fixed columns, in its order.
CANVAS_COLUMNS = ("Student", "ID", "SIS User ID", "SIS Login ID", "Section")
#: Marks the late-submission note in a feedback file (so a rerun replaces it instead of adding another).
LATE_MARK = "--- late submission ---"
#: Bytes of a ``timestamp.txt`` read (nbgrader writes about 30).
TIMESTAMP_BYTES = 200


@dataclass(frozen=True)
class LatePolicy:
    """How late hand-ins are marked down.

    Attributes:
        due: The due date (timezone-aware).
        percent_per_day: Percentage of the points earned taken per day or part of a day late.
        cap_percent: The most that is taken.
        grace: Lateness forgiven (a clock skew, an upload that took a minute).
    """

    due: datetime
    percent_per_day: float = 10.0
    cap_percent: float = 100.0
    grace: timedelta = timedelta(0)

    def penalty(self, submitted: datetime | None) -> tuple[float, float]:
        """``(hours late, percent taken)`` for a hand-in at ``submitted`` (None: on time)."""
        if submitted is None:
            return 0.0, 0.0
        late = submitted - self.due
        if late <= self.grace:
            return max(0.0, late.total_seconds() / 3600), 0.0
        days = math.ceil(late.total_seconds() / 86400)
        return late.total_seconds() / 3600, min(self.cap_percent, self.percent_per_day * days)


def parse_time(text: str, default_tz: str = "UTC") -> datetime:
    """A timestamp as nbgrader writes it (``2026-12-01 20:30:14.123456 UTC``) or in ISO 8601, made timezone-aware.

    A time without a zone is taken in ``default_tz``.

    Raises:
        ValueError: If the text is not a time.
    """
    text = text.strip()
    zone = None
    match = re.fullmatch(r"(.+?)\s+([A-Za-z_]+(?:/[A-Za-z_]+)*|[+-]\d{2}:?\d{2})", text)
    if match and not re.fullmatch(r"\d{2}(:\d{2})*(\.\d+)?", match.group(2)):
        text, zone = match.group(1), match.group(2)
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    try:
        when = datetime.fromisoformat(text)
    except ValueError as err:
        raise ValueError(f"not a date and time: {text!r} (e.g. 2026-12-01T23:59 or 2026-12-01 23:59:00 UTC)") from err
    if zone is not None:
        if re.fullmatch(r"[+-]\d{2}:?\d{2}", zone):
            when = datetime.fromisoformat(when.replace(tzinfo=None).isoformat() + zone[:3] + ":" + zone[-2:])
        else:
            when = when.replace(tzinfo=_zone(zone))
    if when.tzinfo is None:
        when = when.replace(tzinfo=_zone(default_tz))
    return when


def _zone(name: str):  # noqa: ANN202 (a tzinfo)
    if name.upper() in ("UTC", "GMT", "Z"):
        return UTC
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as err:
        raise ValueError(f"unknown time zone {name!r}") from err


def _submission_root(file: Path, stops: list[Path]) -> Path:
    """The folder of the student's submission that holds ``file``, as :func:`autograder.grading.discover` saw it.

    A path given that is one student (it holds notebooks, or is the assignment folder), or the student's folder
    directly under a path given; the file's own folder when no path given holds it.
    """
    for stop in stops:
        if file == stop:
            return file.parent
        if stop in file.parents:
            if stop.name == ASSIGNMENT or file.parent == stop:
                return stop
            return stop / file.relative_to(stop).parts[0]
    return file.parent


def find_timestamp(files: Iterable[str | Path], stop: Iterable[Path] = ()) -> Path | None:
    """The ``timestamp.txt`` nbgrader wrote for a student.

    Looked for in their submission's folder and its assignment folder (``submitted/<student>/ganbias/``) only,
    never in a folder below (a student can put any file there).
    """
    stops = [Path(os.path.abspath(p)) for p in stop]
    for f in files:
        root = _submission_root(Path(os.path.abspath(f)), stops)
        for folder in [root, *([root / ASSIGNMENT] if root.name != ASSIGNMENT else [])]:
            path = folder / "timestamp.txt"
            if path.is_file() and not path.is_symlink():
                return path
    return None


def read_timestamp(path: Path) -> str:
    """The first :data:`TIMESTAMP_BYTES` of a ``timestamp.txt`` (a regular file, never followed through a link).

    Raises:
        ValueError: If it cannot be read or is not a regular file.
    """
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError as err:
        raise ValueError(f"cannot open it: {err.strerror}") from err
    with os.fdopen(fd, "rb") as handle:
        if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
            raise ValueError("not a regular file")
        return handle.read(TIMESTAMP_BYTES).decode("utf-8", errors="replace")


@dataclass
class Lateness:
    """One student's hand-in time and penalty."""

    submitted: datetime | None
    hours: float
    percent: float
    note: str

    def final(self, total: float) -> float:
        """The total after the penalty."""
        return round(total * (1 - self.percent / 100), 4)


def lateness(grade: StudentGrade, policy: LatePolicy, stop: Iterable[Path] = (), default_tz: str = "UTC") -> Lateness:
    """Read a student's ``timestamp.txt`` and apply the policy."""
    path = find_timestamp(grade.files, stop)
    if path is None:
        return Lateness(None, 0.0, 0.0, "no timestamp.txt: taken as on time")
    try:
        submitted = parse_time(read_timestamp(path), default_tz)
    except ValueError as err:
        return Lateness(None, 0.0, 0.0, f"timestamp.txt unreadable ({err}): taken as on time")
    hours, percent = policy.penalty(submitted)
    if percent:
        note = (f"handed in {_duration(hours)} after the due date ({policy.due.isoformat(' ', 'minutes')}): "
                f"{percent:g}% of the points taken ({policy.percent_per_day:g}% per day or part of a day late, "
                f"at most {policy.cap_percent:g}%)")
    elif hours > 0:
        note = f"handed in {_duration(hours)} after the due date, within the grace period: no penalty"
    else:
        note = "on time"
    return Lateness(submitted, hours, percent, note)


def _duration(hours: float) -> str:
    minutes = round(hours * 60)
    days, rest = divmod(minutes, 24 * 60)
    h, m = divmod(rest, 60)
    parts = [f"{days} d" if days else "", f"{h} h" if h else "", f"{m} min" if m or not (days or h) else ""]
    return " ".join(p for p in parts if p)


def apply_late_policy(paths: Iterable[str | Path], out: str | Path, grades: list[StudentGrade],
                      policy: LatePolicy, default_tz: str = "UTC") -> dict[str, Lateness]:
    """Add the late columns to ``out/grades.csv`` and the late note to each student's feedback.

    Returns:
        Student id -> their lateness.
    """
    out = Path(out)
    roots = [Path(p) for p in paths]
    found = {g.student: lateness(g, policy, roots, default_tz) for g in grades}
    rows = list(csv.reader(io.StringIO((out / "grades.csv").read_text(encoding="utf-8"))))
    by_cell = {csv_cell(g.student): g.student for g in grades}  # grades.csv's first column, as written
    extra = ["submitted", "late_hours", "late_penalty_pct", "final_total"]
    header, body = rows[0], rows[1:]
    if "final_total" in header:  # written by an earlier run: replace
        keep = [i for i, name in enumerate(header) if name not in extra]
        header = [header[i] for i in keep]
        body = [[row[i] for i in keep if i < len(row)] for row in body]
    totals = {g.student: g.total for g in grades}
    new_rows = []
    for row in body:
        student = by_cell.get(row[0]) if row else None
        late = found.get(student) if student is not None else None
        if late is None:
            new_rows.append(row + ["", "", "", ""])
            continue
        new_rows.append([student, *row[1:], late.submitted.isoformat() if late.submitted else "",
                         f"{late.hours:.2f}", f"{late.percent:g}", f"{late.final(totals[student]):g}"])
    write_csv_rows(out / "grades.csv", header + extra, new_rows)
    for grade in grades:
        late = found[grade.student]
        path = out / "feedback" / f"{file_id(grade.student)}.txt"
        if not path.is_file() or path.is_symlink():
            continue
        body_text = path.read_text(encoding="utf-8").split("\n" + LATE_MARK, 1)[0].rstrip("\n") + "\n"
        lines = [LATE_MARK, f"Late: {late.note}."]
        if late.percent:
            lines.append(f"Total after the penalty: {late.final(grade.total):g} / {grade.max_total:g} "
                         f"(before: {grade.total:g}).")
        write_atomic(path, body_text + "\n" + "\n".join(lines) + "\n")
    return found


# ---------------------------------------------------------------- Canvas


def _key(text: str) -> str:
    return text.strip().casefold()


@dataclass
class CanvasReport:
    """What :func:`write_canvas` matched."""

    matched: dict[str, str]  # student id -> roster name
    unmatched_submissions: list[str]
    missing_submissions: list[str]  # roster names

    def text(self) -> str:
        """Lines for the terminal."""
        lines = [f"canvas: {len(self.matched)} students matched"]
        if self.unmatched_submissions:
            lines.append(f"  submissions matching no one on the roster: {', '.join(self.unmatched_submissions)}")
        if self.missing_submissions:
            lines.append(f"  on the roster without a submission: {', '.join(self.missing_submissions[:30])}"
                         + (" ..." if len(self.missing_submissions) > 30 else ""))
        return "\n".join(lines)


def read_roster(path: str | Path) -> list[dict[str, str]]:
    """A Canvas gradebook export: its students (the ``Points Possible`` row and test students left out).

    Raises:
        ValueError: If Canvas's columns are missing.
    """
    text = Path(path).read_text(encoding="utf-8-sig")
    reader = csv.DictReader(io.StringIO(text))
    missing = [c for c in ("Student", "ID") if c not in (reader.fieldnames or [])]
    if missing:
        raise ValueError(f"{path} is not a Canvas gradebook export (no {', '.join(missing)} column); export it "
                         "from Canvas's Grades page (Export > Export Entire Gradebook)")
    students = []
    for row in reader:
        name = (row.get("Student") or "").strip()
        if not name or "Points Possible" in name or name == "Student, Test":
            continue
        students.append({c: (row.get(c) or "").strip() for c in CANVAS_COLUMNS})
    return students


def write_canvas(roster_path: str | Path, out: str | Path, grades: list[StudentGrade], assignment: str,
                 late: dict[str, Lateness] | None = None) -> CanvasReport:
    """Write ``out/canvas.csv`` (Canvas's import layout) and ``out/canvas_unmatched.csv``."""
    out = Path(out)
    roster = read_roster(roster_path)
    index: dict[str, int] = {}
    ambiguous: set[str] = set()
    for i, student in enumerate(roster):
        keys = {student["ID"], student["SIS User ID"], student["SIS Login ID"]}
        login = student["SIS Login ID"]
        if "@" in login:
            keys.add(login.split("@", 1)[0])
        for key in {_key(k) for k in keys if k}:
            if key in index and index[key] != i:
                ambiguous.add(key)
            index[key] = i
    scores: dict[int, float] = {}
    report = CanvasReport({}, [], [])
    for grade in sorted(grades, key=lambda g: g.student):
        key = _key(grade.student)
        if key not in index or key in ambiguous:
            report.unmatched_submissions.append(grade.student)
            continue
        i = index[key]
        if i in scores:
            report.unmatched_submissions.append(grade.student)
            continue
        total = late[grade.student].final(grade.total) if late and grade.student in late else grade.total
        scores[i] = total
        report.matched[grade.student] = roster[i]["Student"]
    report.missing_submissions = [s["Student"] for i, s in enumerate(roster) if i not in scores]
    max_total = max((g.max_total for g in grades), default=0)
    write_csv_rows(out / "canvas.csv", [*CANVAS_COLUMNS, assignment],
                   [["    Points Possible", "", "", "", "", f"{max_total:g}"]]
                   + [[student[c] for c in CANVAS_COLUMNS] + [f"{scores[i]:g}" if i in scores else ""]
                      for i, student in enumerate(roster)])
    write_csv_rows(out / "canvas_unmatched.csv", ["kind", "who"],
                   [("submission without a roster match", s) for s in report.unmatched_submissions]
                   + [("roster student without a submission", s) for s in report.missing_submissions])
    return report


def after_batch(paths: Iterable[str | Path], out: str | Path, grades: list[StudentGrade], *,
                due: str | None = None, percent_per_day: float = 10.0, cap_percent: float = 100.0,
                grace_minutes: float = 0.0, timezone: str = "UTC", canvas: str | None = None,
                assignment: str = "ganbias") -> list[str]:
    """What ``ganbias grade`` runs after a batch for ``--due`` and ``--canvas``; returns lines for the terminal.

    Raises:
        ValueError: If the due date, the time zone or the roster cannot be read.
    """
    lines = []
    late = None
    paths = list(paths)
    if due:
        policy = LatePolicy(parse_time(due, timezone), percent_per_day, cap_percent,
                            timedelta(minutes=grace_minutes))
        late = apply_late_policy(paths, out, grades, policy, timezone)
        penalised = [s for s, lt in sorted(late.items()) if lt.percent]
        no_stamp = [s for s, lt in late.items() if lt.submitted is None]
        lines.append(f"late: {len(penalised)} penalised" + (f" ({', '.join(penalised[:20])})" if penalised else "")
                     + (f"; {len(no_stamp)} without a readable timestamp.txt (taken as on time)" if no_stamp else ""))
    if canvas:
        report = write_canvas(canvas, out, grades, assignment, late)
        lines.append(report.text())
        lines.append(f"Canvas gradebook in {Path(out) / 'canvas.csv'} (Grades > Import)")
    return lines
