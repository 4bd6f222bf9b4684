"""The bundles' entry points: grade one submission inside Gradescope's or PrairieLearn's container.

``python -m autograder.platforms gradescope`` (what the Gradescope bundle's ``run_autograder``
runs) reads ``/autograder/submission`` and writes ``/autograder/results/results.json``;
``python -m autograder.platforms prairielearn`` (the PrairieLearn question's entrypoint) reads
``/grade/student`` and writes ``/grade/results/results.json``. Both grade with the same grader and
rules as ``ganbias grade`` (:func:`autograder.grading.grade_batch`, one student), only the results
are written in the platform's format. ``$GANBIAS_PLATFORM_ROOT`` (default ``/``) is where those
folders are looked for, so tests can lay a container out in a temporary folder.

What a student uploads is read defensively: one or several ``.ipynb`` files of any names, in
folders or not, or zip files of them; symbolic links are never followed, zip members are
extracted by their base name only (no path traversal), and sizes and counts are bounded.
Whatever goes wrong, a results file is written that says so in words (never an empty page).
"""

from __future__ import annotations

import argparse
import contextlib
import html
import json
import os
import stat
import sys
import tempfile
import time
import traceback
import unicodedata
import zipfile
from collections.abc import Sequence
from dataclasses import asdict, dataclass, fields
from pathlib import Path

#: Environment variable: the folder that stands for the container's ``/``.
ROOT_ENV = "GANBIAS_PLATFORM_ROOT"
#: The bundle's settings file, written by ``ganbias export``.
CONFIG_NAME = "ganbias_platform.json"
#: Gradescope's visibility values (its autograder specification).
GRADESCOPE_VISIBILITY = ("hidden", "after_due_date", "after_published", "visible")
#: Notebook files read from one submission (zip members included).
MAX_FILES = 40
#: Bytes read from one submission in all (zip members uncompressed).
MAX_TOTAL_BYTES = 150 * 2**20
#: Members a zip may list.
MAX_ZIP_MEMBERS = 2000
#: PrairieLearn rejects results files over 1 MB; ours stay under this.
PRAIRIELEARN_MAX_BYTES = 900_000


def platform_root() -> Path:
    """The folder that stands for the container's ``/`` (``$GANBIAS_PLATFORM_ROOT``, default ``/``)."""
    return Path(os.environ.get(ROOT_ENV) or "/")


@dataclass
class PlatformConfig:
    """The bundle's settings (``ganbias_platform.json``; written by ``ganbias export``).

    Attributes:
        platform: ``gradescope`` or ``prairielearn``.
        notebooks: Graded notebooks this assignment covers (empty: all of them).
        visible_visibility: Gradescope visibility of each function's score and its visible checks.
        hidden_visibility: Gradescope visibility of the details of failed hidden checks.
        hidden_details: PrairieLearn: name the failed hidden checks and why (else only how many failed).
        isolation: ``auto``, ``bubblewrap`` or ``user`` (never ``none`` in a bundle).
        call_timeout_s: Seconds one call of a student's function may take.
        student_budget_s: Seconds all of the student's code may take.
        memory_mb: Memory the student's code may allocate (MB).
        version: The course package's version the bundle was made from.
        max_score: Points of the notebooks covered (for a failure page written without the grader).
    """

    platform: str = "gradescope"
    notebooks: tuple[str, ...] = ()
    visible_visibility: str = "visible"
    hidden_visibility: str = "after_published"
    hidden_details: bool = False
    isolation: str = "auto"
    call_timeout_s: float = 30.0
    student_budget_s: float = 420.0
    memory_mb: int = 2048
    version: str = ""
    max_score: float = 0.0

    def validate(self) -> PlatformConfig:
        """Check the values; returns self.

        Raises:
            ValueError: If a value is not one the platforms accept.
        """
        from .items import graded_notebooks

        if self.platform not in ("gradescope", "prairielearn"):
            raise ValueError(f"unknown platform {self.platform!r}")
        for name in ("visible_visibility", "hidden_visibility"):
            if getattr(self, name) not in GRADESCOPE_VISIBILITY:
                raise ValueError(f"{name} must be one of {', '.join(GRADESCOPE_VISIBILITY)}")
        unknown = [nb for nb in self.notebooks if nb not in graded_notebooks()]
        if unknown:
            raise ValueError(f"not graded notebooks: {', '.join(unknown)} (graded: {', '.join(graded_notebooks())})")
        if self.isolation not in ("auto", "bubblewrap", "user"):
            raise ValueError("isolation must be auto, bubblewrap or user (a bundle never grades without isolation)")
        if self.call_timeout_s <= 0 or self.student_budget_s <= 0 or self.memory_mb <= 0:
            raise ValueError("timeouts, budget and memory must be positive")
        return self

    def to_json(self) -> str:
        """The settings file's text (with ``max_score`` filled in)."""
        from .items import all_items

        data = asdict(self)
        data["max_score"] = self.max_score or float(
            sum(i.points for i in all_items() if not self.notebooks or i.notebook in self.notebooks))
        data["notebooks"] = list(self.notebooks)
        return json.dumps(data, indent=1) + "\n"

    @classmethod
    def load(cls, path: Path) -> PlatformConfig:
        """Read a settings file (missing: the defaults); unknown keys are ignored.

        Raises:
            ValueError: If the file is not valid JSON or a value is wrong.
        """
        if not path.is_file():
            return cls().validate()
        data = json.loads(path.read_text(encoding="utf-8"))
        known = {f.name for f in fields(cls)}
        kept = {k: v for k, v in data.items() if k in known}
        if "notebooks" in kept:
            kept["notebooks"] = tuple(kept["notebooks"] or ())
        return cls(**kept).validate()


# ---------------------------------------------------------------- reading what the student uploaded


def _safe_name(name: str, taken: set[str]) -> str:
    """A plain file name (no folders, no control characters), unique among ``taken``."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    base = "".join(ch for ch in unicodedata.normalize("NFC", base) if ch.isprintable() and ch not in "/\0")
    base = base.strip().lstrip(".") or "notebook.ipynb"
    stem, suffix = (base[:-6], ".ipynb") if base.lower().endswith(".ipynb") else (base, ".ipynb")
    stem = stem[:120] or "notebook"
    candidate, n = stem + suffix, 1
    while candidate.lower() in taken:
        n += 1
        candidate = f"{stem} ({n}){suffix}"
    taken.add(candidate.lower())
    return candidate


class _Budget:
    """What one submission may still bring in (files and bytes)."""

    def __init__(self) -> None:
        self.files = MAX_FILES
        self.bytes = MAX_TOTAL_BYTES

    def take(self, size: int) -> str | None:
        if self.files <= 0:
            return f"more than {MAX_FILES} notebooks"
        if size > self.bytes:
            return f"more than {MAX_TOTAL_BYTES // 2**20} MB in all"
        self.files -= 1
        self.bytes -= size
        return None


def _read_regular(path: Path, limit: int) -> bytes:
    """The bytes of a regular file, opened without following a symbolic link, at most ``limit + 1``."""
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    with os.fdopen(fd, "rb") as handle:
        if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
            raise OSError("not a regular file")
        return handle.read(limit + 1)


def _extract_zip(path: Path, rel: str, dest: Path, taken: set[str], budget: _Budget,
                 problems: list[str]) -> list[Path]:
    from .notebook import MAX_NOTEBOOK_BYTES

    found: list[Path] = []
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, ValueError) as err:
        problems.append(f"{rel} is not a zip file that can be read ({err})")
        return found
    with archive:
        members = archive.infolist()
        if len(members) > MAX_ZIP_MEMBERS:
            problems.append(f"{rel} lists {len(members)} files, over the limit of {MAX_ZIP_MEMBERS}: not read")
            return found
        for info in members:
            name = info.filename
            parts = name.replace("\\", "/").split("/")
            if info.is_dir() or "__MACOSX" in parts or any(p.startswith(".") and p not in (".", "..") for p in parts):
                continue
            mode = info.external_attr >> 16
            if stat.S_ISLNK(mode):
                problems.append(f"{rel}: {name} is a symbolic link: not followed, not graded")
                continue
            if not name.lower().endswith(".ipynb"):
                continue
            if name.startswith("/") or ".." in parts or ":" in parts[0]:
                problems.append(f"{rel}: {name} points outside the archive; read as {parts[-1]}")
            if info.file_size > MAX_NOTEBOOK_BYTES:
                problems.append(f"{rel}: {name} is over {MAX_NOTEBOOK_BYTES // 2**20} MB: not graded")
                continue
            why = budget.take(info.file_size)
            if why:
                problems.append(f"{rel}: {why}; {name} and what follows were not read")
                break
            try:
                with archive.open(info) as handle:
                    data = handle.read(MAX_NOTEBOOK_BYTES + 1)  # a member may lie about its size
            except (zipfile.BadZipFile, OSError, ValueError, NotImplementedError, RuntimeError) as err:
                problems.append(f"{rel}: {name} could not be extracted ({err})")
                continue
            if len(data) > MAX_NOTEBOOK_BYTES:
                problems.append(f"{rel}: {name} is over {MAX_NOTEBOOK_BYTES // 2**20} MB: not graded")
                continue
            target = dest / _safe_name(parts[-1], taken)
            _write_new(target, data)
            found.append(target)
    return found


def _write_new(target: Path, data: bytes) -> None:
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)


def collect_submission(source: Path, dest: Path) -> tuple[list[Path], list[str]]:
    """Copy the notebooks a student uploaded into ``dest`` (flat, unique plain names).

    ``source`` may hold ``.ipynb`` files of any names, in folders or not, and zip files of
    them. Symbolic links are reported and never followed; zip members are written by their
    base name only; counts and sizes are bounded (:data:`MAX_FILES`, :data:`MAX_TOTAL_BYTES`,
    the grader's per-notebook limit).

    Returns:
        The copied notebooks and the problems met (for the student's feedback).
    """
    from .notebook import MAX_NOTEBOOK_BYTES

    dest.mkdir(parents=True, exist_ok=True)
    problems: list[str] = []
    files: list[Path] = []
    taken: set[str] = set()
    budget = _Budget()
    if source.is_symlink() or not source.is_dir():
        return files, ["no submission folder was found"]
    ignored = 0
    for root, dirs, names in os.walk(source, followlinks=False):
        dirs.sort()
        for d in list(dirs):
            full = os.path.join(root, d)
            if os.path.islink(full):
                problems.append(f"{os.path.relpath(full, source)} is a symbolic link: not followed")
                dirs.remove(d)
            elif d.startswith(".") or d == "__MACOSX":
                dirs.remove(d)
        for name in sorted(names):
            path = Path(root) / name
            rel = str(path.relative_to(source))
            lower = name.lower()
            if path.is_symlink():
                problems.append(f"{rel} is a symbolic link: not followed, not graded")
                continue
            if name.startswith(".") or not (lower.endswith(".ipynb") or lower.endswith(".zip")):
                ignored += 1
                continue
            try:
                size = os.lstat(path).st_size
            except OSError as err:
                problems.append(f"{rel} cannot be read ({err.strerror})")
                continue
            if lower.endswith(".zip"):
                if size > MAX_TOTAL_BYTES:
                    problems.append(f"{rel} is over {MAX_TOTAL_BYTES // 2**20} MB: not read")
                    continue
                files += _extract_zip(path, rel, dest, taken, budget, problems)
                continue
            if size > MAX_NOTEBOOK_BYTES:
                problems.append(f"{rel} is {size / 2**20:.1f} MB, over the {MAX_NOTEBOOK_BYTES // 2**20} MB limit "
                                "for a notebook (clear its outputs): not graded")
                continue
            why = budget.take(size)
            if why:
                problems.append(f"{why}: {rel} and what follows were not read")
                return files, problems
            try:
                data = _read_regular(path, MAX_NOTEBOOK_BYTES)
            except OSError as err:
                problems.append(f"{rel} cannot be read ({err.strerror or err})")
                continue
            target = dest / _safe_name(name, taken)
            _write_new(target, data)
            files.append(target)
    if not files:
        problems.append("no notebook (.ipynb, or a .zip of them) was found in the submission"
                        + (f"; {ignored} other file(s) were ignored" if ignored else ""))
    return files, problems


# ---------------------------------------------------------------- grading


def grade_submission(source: Path, config: PlatformConfig):  # noqa: ANN201 (a StudentGrade)
    """Grade what the student uploaded with ``ganbias grade``'s grader (one student, as a whole submission).

    Raises:
        IsolationError: If the student's code cannot be isolated here.
        RuntimeError: If the grader cannot build its checks.
    """
    from .grading import grade_batch
    from .items import ASSIGNMENT
    from .sandbox import Limits, choose_isolation

    isolation = choose_isolation(config.isolation)
    limits = Limits(call_timeout_s=config.call_timeout_s, student_budget_s=config.student_budget_s,
                    memory_bytes=config.memory_mb * 2**20)
    with tempfile.TemporaryDirectory(prefix="ganbias-platform-") as work:
        # A folder named after the assignment is one student handing in the whole assignment.
        staging = Path(work) / "submission" / ASSIGNMENT
        files, problems = collect_submission(source, staging)
        if config.notebooks:
            files = _keep_assignment(files, config.notebooks, problems)
        summary = grade_batch([staging], Path(work) / "out", jobs=1, force=True, limits=limits,
                              isolation=isolation, progress=False, report=False)  # no class report of one
    grade = summary.grades[0]
    grade.files = [f.name for f in files]
    grade.problems[0:0] = problems
    if config.notebooks:
        grade.functions = [f for f in grade.functions if f.notebook in config.notebooks]
    return grade


def _keep_assignment(files: list[Path], notebooks: Sequence[str], problems: list[str]) -> list[Path]:
    """The uploaded notebooks of this assignment's ``notebooks``; the others are removed (noted, never run)."""
    from .notebook import SubmissionError, identify_notebook, read_notebook

    kept = []
    for path in files:
        try:
            notebook = identify_notebook(path, read_notebook(path))
        except SubmissionError:
            notebook = None  # the grader says what is wrong with it
        if notebook is not None and notebook not in notebooks:
            problems.append(f"{path.name} is notebook {notebook}, which is not part of this assignment "
                            f"({', '.join(notebooks)}): not graded")
            path.unlink()
            continue
        kept.append(path)
    return kept


def _md_block(lines: list[str]) -> str:
    """Messages as a fenced block: what students' code printed is shown, never rendered."""
    text = "\n".join("- " + line.replace("\n", " ")[:600] for line in lines).replace("```", "'''")
    return "```text\n" + text + "\n```"


def _number(notebook: str, index: int) -> str:
    head = notebook.split("_", 1)[0]
    return f"{int(head) if head.isdigit() else head}.{index}"


def gradescope_results(grade, config: PlatformConfig) -> dict:  # noqa: ANN001 (a StudentGrade)
    """Gradescope's ``results.json`` for one graded submission.

    One test per graded function (its score, and what failed on the visible checks, at
    ``visible_visibility``) and, per function with hidden checks, one test without a score
    holding what failed on those (at ``hidden_visibility``).
    """
    from .manual import pending_note

    tests = []
    counters: dict[str, int] = {}
    for fg in grade.functions:
        counters[fg.notebook] = counters.get(fg.notebook, 0) + 1
        number = _number(fg.notebook, counters[fg.notebook])
        passed = fg.points == fg.max_points
        hidden_failed = fg.hidden_cases - fg.hidden_passed
        if passed:
            body = f"All {fg.total_cases} checks passed."
        elif not fg.total_cases:
            body = "Not checked:\n\n" + _md_block(fg.messages)
        else:
            body = (f"{fg.visible_passed} of {fg.visible_cases} visible checks passed"
                    + (f"; {hidden_failed} of {fg.hidden_cases} hidden checks failed" if hidden_failed else "")
                    + " (all checks are needed for the points).")
            if fg.messages:
                body += "\n\n" + _md_block(fg.messages)
            if hidden_failed:
                body += f"\n\nThe hidden checks' details are shown {_when(config.hidden_visibility)}."
        tests.append({"name": f"{fg.notebook}: {fg.name}", "number": number, "score": fg.points,
                      "max_score": fg.max_points, "status": "passed" if passed else "failed",
                      "output": body, "output_format": "md", "visibility": config.visible_visibility})
        if fg.hidden_cases:
            detail = (f"{hidden_failed} of {fg.hidden_cases} hidden checks failed:\n\n" + _md_block(fg.hidden_messages)
                      if hidden_failed else f"All {fg.hidden_cases} hidden checks passed.")
            tests.append({"name": f"{fg.notebook}: {fg.name} (hidden checks)", "number": number + ".h",
                          "status": "failed" if hidden_failed else "passed", "output": detail,
                          "output_format": "md", "visibility": config.hidden_visibility})
    lines = [f"**{grade.total:g} / {grade.max_total:g} points** (graded by ganbias {config.version or ''})".strip()]
    if grade.status == "timed_out":
        lines.append("Some of your code ran too long and was stopped; the rest was graded.")
    elif grade.status == "crashed":
        lines.append("Some of your code crashed the process it ran in; the rest was graded.")
    elif grade.status == "refused":
        lines.append("Nothing could be graded: see below.")
    if note := pending_note(fg.notebook for fg in grade.functions):  # written questions: graded by hand
        lines.append(note)
    if grade.files:
        lines.append("Notebooks read: " + ", ".join(f"`{html.escape(f)}`" for f in grade.files))
    if grade.problems:
        lines += ["", "Problems with the files:", "", _md_block(grade.problems)]
    return {"score": grade.total, "execution_time": round(grade.seconds, 2), "output": "\n\n".join(lines),
            "output_format": "md", "test_output_format": "md", "visibility": "visible",
            "stdout_visibility": "hidden", "tests": tests,
            "extra_data": {"status": grade.status, "isolation": grade.isolation}}


def _when(visibility: str) -> str:
    return {"visible": "below", "after_due_date": "after the due date",
            "after_published": "once grades are published", "hidden": "to the course staff only"}[visibility]


def gradescope_failure(why: str, max_score: float) -> dict:
    """A results file for when grading itself failed: a visible entry that says so."""
    text = ("The autograder could not grade this submission. This is not a verdict on your work: "
            "please resubmit, and tell the course staff if it happens again.\n\n" + _md_block([why]))
    return {"score": 0.0, "output": text, "output_format": "md", "visibility": "visible",
            "stdout_visibility": "hidden",
            "tests": [{"name": "Grading failed", "number": "0", "score": 0.0, "max_score": max_score,
                       "status": "failed", "output": text, "output_format": "md", "visibility": "visible"}]}


def prairielearn_results(grade, config: PlatformConfig) -> dict:  # noqa: ANN001 (a StudentGrade)
    """PrairieLearn's ``results.json`` for one graded submission (score in [0, 1], one test per function)."""
    tests = []
    for fg in grade.functions:
        passed = fg.points == fg.max_points
        hidden_failed = fg.hidden_cases - fg.hidden_passed
        shown = fg.messages + (fg.hidden_messages if config.hidden_details else [])
        if not config.hidden_details and hidden_failed:
            shown.append(f"{hidden_failed if hidden_failed > 1 else 'a'} hidden check{'s' if hidden_failed > 1 else ''}"
                         " failed (they use other inputs than the visible checks)")
        message = (f"all {fg.total_cases} checks passed" if passed else
                   f"{fg.visible_passed} of {fg.visible_cases} visible and {fg.hidden_passed} of {fg.hidden_cases} "
                   "hidden checks passed" if fg.total_cases else "not checked")
        tests.append({"name": f"{fg.notebook}: {fg.name}", "description": f"{fg.name} in {fg.notebook}.ipynb",
                      "points": fg.points, "max_points": fg.max_points, "message": message,
                      "output": "\n".join("- " + m.replace("\n", " ")[:600] for m in shown)})
    score = grade.total / grade.max_total if grade.max_total else 0.0
    message = f"{grade.total:g} / {grade.max_total:g} points"
    if grade.status != "graded":
        message += f" ({grade.status.replace('_', ' ')})"
    from .manual import pending_note

    note = pending_note(fg.notebook for fg in grade.functions)  # written questions: graded by hand
    output = "\n".join([*([note] if note else []), "Notebooks read: " + (", ".join(grade.files) or "none"),
                        *("! " + p for p in grade.problems)])
    results = {"gradable": True, "score": min(1.0, max(0.0, score)), "message": message, "output": output,
               "tests": tests}
    return _fit(results)


def _fit(results: dict) -> dict:
    """Shorten the free text until the JSON is under :data:`PRAIRIELEARN_MAX_BYTES`."""
    limit = 4000
    while len(json.dumps(results).encode()) > PRAIRIELEARN_MAX_BYTES and limit > 50:
        results["output"] = results.get("output", "")[:limit * 4]
        for test in results.get("tests", []):
            test["output"] = test.get("output", "")[:limit]
            test["message"] = test.get("message", "")[:limit]
        limit //= 2
    return results


def prairielearn_failure(why: str) -> dict:
    """A results file for when grading itself failed: not gradable, so the attempt does not count."""
    return {"gradable": False, "score": 0.0,
            "message": "The autograder could not grade this submission (not a verdict on your work); "
                       "submit again, and tell the course staff if it happens again.",
            "output": why[:20000], "tests": []}


# ---------------------------------------------------------------- entry points


@dataclass(frozen=True)
class Layout:
    """Where one platform puts things, under the platform root."""

    config: str
    submission: str
    results: str


LAYOUTS = {
    "gradescope": Layout("autograder/source/" + CONFIG_NAME, "autograder/submission",
                         "autograder/results/results.json"),
    "prairielearn": Layout("grade/tests/" + CONFIG_NAME, "grade/student", "grade/results/results.json"),
}


def run_platform(platform: str, root: Path | None = None) -> dict:
    """Grade the submission in the platform's folders under ``root`` and write its results file.

    Never raises for a problem with the submission or the grader: the results file says what went wrong.
    """
    from .records import write_atomic

    root = root or platform_root()
    layout = LAYOUTS[platform]
    started = time.monotonic()
    max_score = 15.0
    try:
        config = PlatformConfig.load(root / layout.config)
        from .items import all_items

        max_score = float(sum(i.points for i in all_items() if not config.notebooks or i.notebook in config.notebooks))
        grade = grade_submission(root / layout.submission, config)
        if grade.status == "grader_error":  # the grader's own trouble (a sandbox that did not start): once more
            print("grader error, grading again: " + "; ".join(grade.problems), file=sys.stderr)
            grade = grade_submission(root / layout.submission, config)
        if grade.status == "grader_error":
            raise RuntimeError("; ".join(grade.problems) or "the grader failed")
        results = (gradescope_results if platform == "gradescope" else prairielearn_results)(grade, config)
        if platform == "gradescope":
            results["execution_time"] = round(time.monotonic() - started, 2)  # the whole run, start-up included
        print(f"{grade.total:g}/{grade.max_total:g} points, status {grade.status}, isolation {grade.isolation}, "
              f"{time.monotonic() - started:.1f} s")
    except Exception as err:  # the page must say what happened, whatever happened
        traceback.print_exc()
        why = f"{type(err).__name__}: {err}"
        results = gradescope_failure(why, max_score) if platform == "gradescope" else prairielearn_failure(why)
    target = root / layout.results
    write_atomic(target, json.dumps(results, indent=1))
    print(f"results written to {target}")
    return results


def _write_results(target: Path, results: dict) -> None:
    """Write a results file through a new file renamed over it (the supervisor does not import the grader)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".results.", suffix=".tmp", dir=target.parent)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(json.dumps(results, indent=1))
    os.replace(tmp, target)


def _descendants(pid: int) -> list[int]:
    """Every process below ``pid`` (from /proc; empty where there is none)."""
    children: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", encoding="utf-8", errors="replace") as handle:
                ppid = int(handle.read().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(ppid, []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def _oom_adj(pid: int | str, value: int) -> None:
    try:
        with open(f"/proc/{pid}/oom_score_adj", "w", encoding="ascii") as handle:
            handle.write(str(value))
    except OSError:
        pass


def supervise(platform: str, root: Path | None = None, poll_s: float = 0.1) -> int:
    """Run the grading in a worker process and make sure a results file is written whatever happens to it.

    In a container with little memory (Gradescope's default is 768 MB), a student's code that takes
    too much would have the kernel kill the largest process, which can be the grader. So the worker
    is made an unlikely victim and the students' sandboxed runs, as they start, the first ones
    (``oom_score_adj``; root only, else nothing changes): a run killed for memory fails that function
    and grading carries on. If the worker dies all the same, this small process writes a visible
    failure result.
    """
    import signal
    import subprocess
    import threading

    root = root or platform_root()
    target = root / LAYOUTS[platform].results
    if target.exists() or target.is_symlink():
        target.unlink()
    if os.geteuid() == 0:  # the students' code may run as 'nobody' (no bubblewrap): keep it off the results
        target.parent.mkdir(parents=True, exist_ok=True)
        with contextlib.suppress(OSError):
            os.chown(target.parent, 0, 0)
            os.chmod(target.parent, 0o755)
    started = time.monotonic()
    worker = subprocess.Popen([sys.executable, "-m", "autograder.platforms", "--worker", platform])
    _oom_adj(worker.pid, -900)
    marked: set[int] = set()
    done = threading.Event()

    def mark() -> None:
        while not done.wait(poll_s):
            for pid in _descendants(worker.pid):
                if pid not in marked:
                    _oom_adj(pid, 1000)
                    marked.add(pid)

    watcher = threading.Thread(target=mark, daemon=True)
    watcher.start()
    code = worker.wait()
    done.set()
    watcher.join()
    if code == 0 and target.is_file():
        return 0
    if code < 0:
        try:
            how = f"it was killed by signal {signal.Signals(-code).name}"
        except ValueError:
            how = f"it was killed by signal {-code}"
        if -code == signal.SIGKILL:
            how += " (out of memory? the container may need more memory than it has)"
    else:
        how = f"it exited with status {code}"
    why = f"the grader stopped after {time.monotonic() - started:.0f} s before writing results: {how}"
    print(why, file=sys.stderr)
    max_score = 15.0
    try:  # read as plain JSON: the supervisor stays small (no torch, no grader)
        max_score = float(json.loads((root / LAYOUTS[platform].config).read_text(encoding="utf-8"))["max_score"])
    except (OSError, ValueError, KeyError, TypeError):
        pass
    _write_results(target, gradescope_failure(why, max_score) if platform == "gradescope" else
                   prairielearn_failure(why))
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m autograder.platforms {gradescope,prairielearn}``; exit status 0 once results are written."""
    parser = argparse.ArgumentParser(prog="python -m autograder.platforms", description=__doc__.split("\n")[0])
    parser.add_argument("platform", choices=sorted(LAYOUTS))
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        run_platform(args.platform)
        return 0
    return supervise(args.platform)


if __name__ == "__main__":
    raise SystemExit(main())
