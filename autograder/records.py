"""What the grader records about each student, and how it writes text no student can break.

The results (:class:`FunctionGrade`, :class:`StudentGrade`) and the writing primitives every report uses
(:func:`write_atomic`, :func:`csv_cell`, :func:`write_csv_rows`): grading, the class report, the hand-graded
questions, the similarity report and the LMS exports all write through these, so that no byte sequence a
student controls can make a write fail or a spreadsheet run a formula.
"""

from __future__ import annotations

import contextlib
import csv
import hashlib
import io
import os
import re
import tempfile
import unicodedata
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path

RESULT_VERSION = 2
#: A student's status in grades.csv.
STATUSES = ("graded", "timed_out", "crashed", "refused", "grader_error")
@dataclass
class FunctionGrade:
    """The grade of one graded function.

    Attributes:
        notebook: Notebook stem.
        name: Function name.
        max_points: Points available.
        points: Points earned (all or nothing, as nbgrader's test cells).
        messages: Why points were lost on the visible checks or as a whole, or notes.
        passed_cases: Cases passed (visible and hidden).
        total_cases: Cases run (visible and hidden).
        hidden_messages: Why hidden checks failed (kept apart: the platforms show them at their own visibility).
        hidden_passed: Hidden cases passed.
        hidden_cases: Hidden cases run.
    """

    notebook: str
    name: str
    max_points: float
    points: float = 0.0
    messages: list[str] = field(default_factory=list)
    passed_cases: int = 0
    total_cases: int = 0
    hidden_messages: list[str] = field(default_factory=list)
    hidden_passed: int = 0
    hidden_cases: int = 0

    @property
    def visible_cases(self) -> int:
        """Visible cases run."""
        return self.total_cases - self.hidden_cases

    @property
    def visible_passed(self) -> int:
        """Visible cases passed."""
        return self.passed_cases - self.hidden_passed

    @property
    def all_messages(self) -> list[str]:
        """Every message, those about hidden checks last and marked as such (for the instructor's feedback)."""
        return self.messages + [m if re.match(r"\d+ of \d+ hidden checks: ", m) else f"(hidden check) {m}"
                                for m in self.hidden_messages]  # a case's name can start with a digit too


@dataclass
class StudentGrade:
    """One student's result.

    Attributes:
        student: Student id, exactly as the file or folder is named.
        files: The files graded.
        functions: One entry per graded function in scope.
        problems: Problems with the files themselves (unreadable, a symbolic link, not a notebook...).
        status: One of :data:`STATUSES`: ``graded``; ``timed_out`` or ``crashed`` (some of the code hung or
            died; the rest was graded); ``refused`` (nothing could be graded); ``grader_error`` (the
            grader itself failed; retried on rerun).
        isolation: How the student's code was isolated.
        fingerprint: Hash of the files' bytes (a changed submission is regraded).
        seconds: Time spent grading.
    """

    student: str
    files: list[str]
    functions: list[FunctionGrade] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    status: str = "graded"
    isolation: str = ""
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
                   data.get("status", "graded"), data.get("isolation", ""), data.get("fingerprint", ""),
                   float(data.get("seconds", 0.0)))


def file_id(student: str) -> str:
    """A file name for a student's results: the id itself when it is plain ASCII, else a readable part and a hash.

    Different ids always get different names ("Zoë" and "Zoé", "a b" and "a_b").
    """
    plain = re.sub(r"[^A-Za-z0-9._@+-]+", "_", unicodedata.normalize("NFKD", student)).strip("._")[:80] or "student"
    if plain == student:
        return plain
    return f"{plain}-{hashlib.sha256(student.encode('utf-8', 'surrogateescape')).hexdigest()[:10]}"


def printable(text: str) -> str:
    r"""``text`` as it can always be written in UTF-8.

    Lone surrogates (an undecodable file name, what a student's code printed) become ``\udcff`` escapes
    instead of raising.
    """
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def write_atomic(path: Path, text: str, newline: str | None = None) -> None:
    """Write ``text`` to ``path`` through a new, uniquely named file (``O_EXCL``) renamed over it.

    Whatever stands at ``path`` (a file, a named pipe...) is replaced, never opened. No text can make the
    write fail (see :func:`printable`).
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline=newline) as handle:
            handle.write(printable(text))
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?|[+-]?(inf|nan)")


def csv_cell(value: object) -> str:
    """A CSV cell that no spreadsheet runs as a formula.

    Text starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return gets a leading ``'`` (OWASP's
    advice on CSV injection); numbers are left as they are.
    """
    text = printable(str(value))
    if text[:1] in ("=", "+", "-", "@", "\t", "\r") and not _NUMBER.fullmatch(text):
        return "'" + text
    return text


def write_csv_rows(path: Path, header: list[str], rows: Iterable[Iterable[object]]) -> None:
    """Write a CSV file the grader makes (atomically), every cell through :func:`csv_cell`."""
    text = io.StringIO(newline="")
    writer = csv.writer(text)
    writer.writerow([csv_cell(c) for c in header])
    writer.writerows([csv_cell(c) for c in row] for row in rows)
    write_atomic(path, text.getvalue(), newline="")
