"""The corpus of student answers under ``tests/corpus/``: read it, and put an answer into a notebook.

One file is one student's answer to one graded function (sometimes to several, see below):
``tests/corpus/<function_name>/<label>.py``. It starts with three header comment lines and then
holds the code that replaces the function's answer cell::

    # points: get_top_covariances=2
    # kind: correct
    # note: ranks with torch.argsort(descending=True) on a torch covariance matrix
    def get_top_covariances(classification_changes, target_index, top_n=10):
        ...

* ``points`` names every graded function the file defines, each with the points a fair grader
  gives it (``name=number``, separated by spaces or commas). The first one is the entry's
  :attr:`Entry.function`, and the file lives in that function's folder.
* ``kind`` says what the answer to that first function is: ``correct`` (full points), ``wrong``
  (a mistake, 0), ``stub`` (the release's unanswered cell, 0) or ``delegating`` (it calls the
  course package's own implementation instead of writing the computation, 0).
* ``note`` is one line: what the answer does differently, or the mistake it makes.
* ``message`` (optional, wrong answers) is the named mistake the visible checks must say: a
  part of the feedback, e.g. ``# message: you divided by N``. A wrong answer without one is a
  mistake the checks catch without naming it.

A file that answers several graded functions splits its code into cells with marker lines
``# --- cell: <function_name>``; the code after a marker replaces that function's answer cell
(the markers must name exactly the functions in ``points``). This is how the corpus states that
one mistake costs one function: a wrong helper next to a correct function that calls it.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass
from pathlib import Path

#: Where the corpus lives.
CORPUS_DIR = Path(__file__).resolve().parent / "corpus"

#: The kinds an answer can be.
KINDS = ("correct", "wrong", "stub", "delegating")

_HEADER_KEYS = ("points", "kind", "note")
_HEADER_LINE = re.compile(r"#\s*(points|kind|note|message)\s*:(.*)$")
_MARKER = re.compile(r"^#\s*---\s*cell:\s*(\S*)\s*$")
_POINTS_ITEM = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)=([0-9]+(?:\.[0-9]+)?)$")


class CorpusFormatError(ValueError):
    """A corpus file whose header or cell markers do not follow the format above."""


@dataclass
class Entry:
    """One corpus file.

    Attributes:
        function: The first graded function named in ``points`` (the file's folder).
        label: The file's stem, e.g. ``"wrong_divides_by_n"``.
        kind: ``correct``, ``wrong``, ``stub`` or ``delegating`` (about :attr:`function`).
        note: What the answer does differently, or its mistake.
        message: The named mistake the visible checks must say about it ("" when none is named).
        points: Function name to the points a fair grader gives, in header order.
        cells: Function name to the source replacing its answer cell.
        path: The file.
    """

    function: str
    label: str
    kind: str
    note: str
    points: dict[str, float]
    cells: dict[str, str]
    path: Path
    message: str = ""

    @property
    def name(self) -> str:
        """``function/label``, a short unique name for messages and test ids."""
        return f"{self.function}/{self.label}"


def _fail(path: Path, message: str) -> CorpusFormatError:
    return CorpusFormatError(f"{path}: {message}")


def _parse_points(path: Path, text: str) -> dict[str, float]:
    items = [item for item in re.split(r"[\s,]+", text.strip()) if item]
    if not items:
        raise _fail(path, "'# points:' names no function (expected e.g. '# points: project_out=1')")
    points: dict[str, float] = {}
    for item in items:
        match = _POINTS_ITEM.match(item)
        if not match:
            raise _fail(path, f"'# points:' item {item!r} is not 'function_name=number'")
        name, value = match.group(1), float(match.group(2))
        if name in points:
            raise _fail(path, f"'# points:' names {name} twice")
        points[name] = value
    return points


def _split_cells(path: Path, code: str, functions: list[str]) -> dict[str, str]:
    lines = code.splitlines()
    markers = [(i, m.group(1)) for i, line in enumerate(lines) if (m := _MARKER.match(line.strip()))]
    if not markers:
        if len(functions) != 1:
            raise _fail(path, f"'# points:' names {len(functions)} functions but the code has no "
                              "'# --- cell: <function_name>' markers to split it")
        return {functions[0]: code.strip("\n") + "\n"}
    if any(line.strip() for line in lines[: markers[0][0]]):
        raise _fail(path, "code before the first '# --- cell:' marker belongs to no cell")
    cells: dict[str, str] = {}
    for k, (start, name) in enumerate(markers):
        if not name:
            raise _fail(path, f"line {start + 4}: '# --- cell:' marker without a function name")
        if name in cells:
            raise _fail(path, f"two cells for {name}")
        end = markers[k + 1][0] if k + 1 < len(markers) else len(lines)
        body = "\n".join(lines[start + 1 : end]).strip("\n")
        if not body.strip():
            raise _fail(path, f"the cell for {name} is empty")
        cells[name] = body + "\n"
    if set(cells) != set(functions):
        raise _fail(path, f"the cells ({', '.join(cells)}) do not match '# points:' ({', '.join(functions)})")
    return {name: cells[name] for name in functions}


def load_entry(path: str | Path) -> Entry:
    """Read one corpus file.

    Raises:
        CorpusFormatError: If its header or its cell markers are malformed.
    """
    path = Path(path)
    lines = path.read_text(encoding="utf-8").splitlines()
    header: dict[str, str] = {}
    body_start = 0
    for i, line in enumerate(lines):
        match = _HEADER_LINE.match(line.strip())
        if not match:
            body_start = i
            break
        key, value = match.group(1), match.group(2).strip()
        if key in header:
            raise _fail(path, f"line {i + 1}: a second '# {key}:' line")
        header[key] = value
    else:
        body_start = len(lines)
    missing = [key for key in _HEADER_KEYS if key not in header]
    if missing:
        raise _fail(path, f"the header (the first comment lines) lacks {', '.join('# ' + k + ':' for k in missing)}; "
                          "a corpus file starts with '# points: ...', '# kind: ...' and '# note: ...'")
    kind = header["kind"]
    if kind not in KINDS:
        raise _fail(path, f"'# kind: {kind}' is not one of {', '.join(KINDS)}")
    if not header["note"]:
        raise _fail(path, "'# note:' is empty")
    points = _parse_points(path, header["points"])
    code = "\n".join(lines[body_start:])
    if not code.strip():
        raise _fail(path, "no code after the header")
    functions = list(points)
    cells = _split_cells(path, code, functions)
    message = header.get("message", "")
    if "message" in header and (not message or kind != "wrong"):
        raise _fail(path, "'# message:' names the mistake of a wrong answer: it needs text and '# kind: wrong'")
    return Entry(function=functions[0], label=path.stem, kind=kind, note=header["note"], points=points,
                 cells=cells, path=path, message=message)


def load_corpus(corpus_dir: str | Path | None = None) -> list[Entry]:
    """Every corpus file (``<function>/<label>.py``), sorted by function folder and label.

    Raises:
        CorpusFormatError: If a file is malformed, or lies in a folder other than its first function's.
    """
    root = Path(corpus_dir) if corpus_dir else CORPUS_DIR
    entries = []
    for path in sorted(root.glob("*/*.py")):
        entry = load_entry(path)
        if path.parent.name != entry.function:
            raise _fail(path, f"its first function in '# points:' is {entry.function}, "
                              f"so it belongs in {root / entry.function}")
        entries.append(entry)
    return entries


def _grade_id(cell: dict) -> str | None:
    return cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")


def build_notebook(entry: Entry, base: dict) -> dict:
    """A deep copy of the notebook JSON ``base`` with the entry's answer cells put in.

    Each cell of ``base`` whose nbgrader ``grade_id`` is one of ``entry.cells`` gets that source
    (as a list of lines, like nbformat writes); its outputs and execution count are cleared.

    Raises:
        KeyError: If ``base`` has no code cell for one of the entry's functions (wrong notebook).
    """
    nb = copy.deepcopy(base)
    found: set[str] = set()
    for cell in nb.get("cells", []):
        grade_id = _grade_id(cell)
        if cell.get("cell_type") == "code" and grade_id in entry.cells:
            cell["source"] = entry.cells[grade_id].splitlines(keepends=True)
            cell["outputs"] = []
            cell["execution_count"] = None
            found.add(grade_id)
    missing = [name for name in entry.cells if name not in found]
    if missing:
        raise KeyError(f"{entry.name}: the notebook has no answer cell with grade_id {', '.join(missing)}")
    return nb
