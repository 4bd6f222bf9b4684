"""Read a submitted notebook defensively and find the code of each graded answer.

Nothing here executes student code: the notebook is parsed as JSON, its code cells
as Python syntax trees, and the answer program (the student's cells, and the setup
of the course's cells that they use; see :func:`build_program`) is handed to the
sandbox as source text.
"""

from __future__ import annotations

import ast
import hashlib
import json
import os
import re
import stat
from dataclasses import dataclass, field
from pathlib import Path

from .items import all_items, items_of, notebooks_named_in

#: Larger files are refused unread (a course notebook with its figures is well under 10 MB).
MAX_NOTEBOOK_BYTES = 25 * 2**20
#: Code cells beyond this count are ignored (a notebook is a few dozen cells).
MAX_CODE_CELLS = 2000
#: A code cell longer than this is not parsed.
MAX_CELL_CHARS = 100_000
#: Code parsed per notebook, all cells together (a whole course notebook is under 50,000 characters).
MAX_CODE_CHARS = 300_000

_MAGIC = re.compile(r"^(\s*)([%!?]|\w+\s*=\s*!)")


class SubmissionError(Exception):
    """A file that cannot be graded at all; the message is meant for the student."""


@dataclass
class Cell:
    """One notebook cell, reduced to what grading needs.

    Attributes:
        index: Position in the notebook (0-based).
        cell_type: ``"code"``, ``"markdown"``...
        source: The cell's text.
        grade_id: Its nbgrader ``grade_id``, if the metadata survived.
        points: Its nbgrader points, if any.
        solution: nbgrader marks it as an answer cell.
        locked: nbgrader marks it read-only (a course cell).
    """

    index: int
    cell_type: str
    source: str
    grade_id: str | None = None
    points: float | None = None
    solution: bool = False
    locked: bool = False


@dataclass
class CodeUnit:
    """The code of one cell that the sandbox runs.

    Attributes:
        label: Name used in tracebacks and feedback, e.g. ``"cell 7"`` (its position in the notebook).
        source: The code, IPython magics neutralised (line numbers kept).
    """

    label: str
    source: str


@dataclass
class AnswerProgram:
    """What the sandbox needs to define one notebook's graded functions.

    Attributes:
        notebook: Course notebook stem.
        units: Code units in notebook order.
        found: Graded function name -> label of the cell holding its (last) definition.
        missing: Graded function name -> why it was not found.
        notes: Diagnostics on skipped cells (too long, syntax errors); the grade's own messages say
            what they cost (a graded function not found, and why).
    """

    notebook: str
    units: list[CodeUnit] = field(default_factory=list)
    found: dict[str, str] = field(default_factory=dict)
    missing: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def _text(value: object) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return "".join(v for v in value if isinstance(v, str))
    return ""


def read_notebook(path: str | os.PathLike) -> list[Cell]:
    """Read a notebook file into cells, refusing clearly what is not a notebook.

    Accepts nbformat 4 (and the ``worksheets`` layout of nbformat 3); does not
    require the file to pass nbformat's schema, since Colab and VS Code write
    slightly different metadata.

    Raises:
        SubmissionError: For a missing, empty, huge, non-UTF-8, non-JSON or non-notebook file.
    """
    path = Path(path)
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError as err:
        why = "it is a symbolic link (not followed)" if err.errno == 40 else err.strerror
        raise SubmissionError(f"cannot read {path.name}: {why}") from err
    with os.fdopen(fd, "rb") as handle:
        info = os.fstat(handle.fileno())
        if not stat.S_ISREG(info.st_mode):
            raise SubmissionError(f"{path.name} is not a regular file")
        if info.st_size > MAX_NOTEBOOK_BYTES:
            raise SubmissionError(
                f"{path.name} is {info.st_size / 2**20:.1f} MB, over the {MAX_NOTEBOOK_BYTES // 2**20} MB limit "
                "(clear the outputs, Edit > Clear Outputs of All Cells, and submit again)"
            )
        data = handle.read(MAX_NOTEBOOK_BYTES + 1)
    if not data.strip():
        raise SubmissionError(f"{path.name} is empty")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise SubmissionError(
            f"{path.name} is not UTF-8 text (byte 0x{data[err.start]:02x} at position {err.start}); "
            "a notebook is a UTF-8 JSON file"
        ) from err
    try:
        obj = json.loads(text)
    except json.JSONDecodeError as err:
        raise SubmissionError(
            f"{path.name} is not valid JSON (line {err.lineno}, column {err.colno}: {err.msg}); "
            "the file may be truncated or was edited by hand"
        ) from err
    except RecursionError as err:
        raise SubmissionError(f"{path.name} is nested too deeply to be a notebook") from err
    if not isinstance(obj, dict):
        raise SubmissionError(f"{path.name} is JSON but not a Jupyter notebook (top level is not an object)")
    raw_cells = obj.get("cells")
    if raw_cells is None and isinstance(obj.get("worksheets"), list):
        raw_cells = [c for ws in obj["worksheets"] if isinstance(ws, dict) for c in ws.get("cells", []) or []]
    if not isinstance(raw_cells, list):
        raise SubmissionError(f"{path.name} is JSON but not a Jupyter notebook (no list of cells)")
    cells: list[Cell] = []
    for index, raw in enumerate(raw_cells):
        if not isinstance(raw, dict):
            continue
        source = _text(raw.get("source", raw.get("input", "")))
        meta = raw.get("metadata")
        nbg = meta.get("nbgrader") if isinstance(meta, dict) else None
        grade_id = points = None
        solution = locked = False
        if isinstance(nbg, dict):
            grade_id = nbg.get("grade_id") if isinstance(nbg.get("grade_id"), str) else None
            if isinstance(nbg.get("points"), (int, float)) and not isinstance(nbg.get("points"), bool):
                points = float(nbg["points"])
            solution, locked = nbg.get("solution") is True, nbg.get("locked") is True
        cells.append(Cell(index, str(raw.get("cell_type", "")), source, grade_id, points, solution, locked))
    if not cells:
        raise SubmissionError(f"{path.name} has no cells")
    return cells


def neutralise_magics(source: str) -> str:
    """Turn IPython-only lines (``%magic``, ``!shell``, ``x = !cmd``, ``%%cell``) into ``pass``.

    Line numbers are kept so that tracebacks point at the student's lines.
    """
    lines = source.split("\n")
    for i, line in enumerate(lines):
        m = _MAGIC.match(line)
        if m:
            lines[i] = m.group(1) + "pass"
    return "\n".join(lines)


#: Setup calls whose results answers may use as globals (``device = pick_device()``...).
SAFE_SETUP_CALLS = frozenset({"pick_device", "attribute_index"})


def _is_safe_setup_call(node: ast.AST) -> bool:
    if not isinstance(node, ast.Call):
        return False
    func = node.func
    name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else None
    simple = (ast.Name, ast.Constant, ast.Attribute)
    return name in SAFE_SETUP_CALLS and all(isinstance(a, simple) for a in node.args) and all(
        isinstance(k.value, simple) for k in node.keywords)


def _bound_names(node: ast.stmt) -> set[str]:
    """Names a top-level import or simple assignment binds."""
    if isinstance(node, (ast.Import, ast.ImportFrom)):
        return {(a.asname or a.name).split(".")[0] for a in node.names}
    if isinstance(node, ast.Assign):
        return {n.id for t in node.targets for n in ast.walk(t) if isinstance(n, ast.Name)}
    return set()


def _is_literal(node: ast.AST) -> bool:
    try:
        ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return False
    return True


def _course_setup(node: ast.stmt) -> bool:
    """Whether a statement of a course cell is setup answers may rely on (imports, constants, ``device = ...``)."""
    if isinstance(node, (ast.Import, ast.ImportFrom)):
        return not _is_check_machinery(node)
    return isinstance(node, ast.Assign) and all(isinstance(t, ast.Name) for t in node.targets) \
        and (_is_safe_setup_call(node.value) or _is_literal(node.value))


def _defined_names(tree: ast.Module) -> set[str]:
    """Names a cell defines at top level: functions, and names bound by assignments and imports."""
    names = {n.name for n in tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))}
    for node in tree.body:
        names |= _bound_names(node)
    return names


def course_cell_hashes() -> dict[str, set[str]]:
    """Notebook -> hashes of its course (read-only) cells, from ``course_cells.json`` (see ``make notebooks``)."""
    path = Path(__file__).with_name("course_cells.json")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return {nb: set(hashes) for nb, hashes in data.items()}


def cell_hash(source: str) -> str:
    """A hash of a cell's source, blind to trailing spaces and blank lines."""
    lines = [ln.rstrip() for ln in source.strip().splitlines()]
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()[:16]


def is_course_cell(cell: Cell, course_hashes: set[str]) -> bool:
    """A cell the course wrote and the student does not answer in (nbgrader's locked or test cells)."""
    if cell.solution:
        return False
    if cell.grade_id is not None or cell.locked:
        return True
    return cell_hash(cell.source) in course_hashes


def lost_metadata(cells: list[Cell]) -> bool:
    """Whether no cell kept its nbgrader metadata (a notebook re-created or saved by an editor that drops it)."""
    return not any(c.grade_id or c.solution or c.locked for c in cells)


def _is_check_machinery(node: ast.stmt) -> bool:
    """A statement of the course's check cells (``from ganbias_helpers.checks import check``, ``check("name")``)."""
    if isinstance(node, ast.ImportFrom):
        return (node.module or "").split(".")[0] == "autograder" or \
            ((node.module or "").endswith("checks") and all(a.name == "check" for a in node.names))
    if isinstance(node, ast.Import):
        return all(a.name.split(".")[0] == "autograder" for a in node.names)
    return isinstance(node, ast.Expr) and isinstance(node.value, ast.Call) and \
        isinstance(node.value.func, ast.Name) and node.value.func.id in ("check", "check_hidden")


def _without_check_machinery(source: str, tree: ast.Module) -> str:
    """``source`` with the check cells' statements turned into ``pass`` (line numbers kept).

    A check cell whose metadata was lost looks like the student's own code; run in the sandbox it would
    only fail (the grader's package is not there) and fill the feedback with errors that are not the
    student's.
    """
    drop = [node for node in tree.body if _is_check_machinery(node)]
    if not drop:
        return source
    lines = source.split("\n")
    for node in drop:
        end = node.end_lineno or node.lineno
        for i in range(node.lineno - 1, end):
            lines[i] = "pass" if i == node.lineno - 1 else ""
    return "\n".join(lines)


def build_program(cells: list[Cell], notebook: str) -> AnswerProgram:
    """Collect what the sandbox runs to define ``notebook``'s graded functions, from ``cells``.

    A top-to-bottom run of the student's cells: every answer cell and every cell the
    student added runs in full, statement by statement (an error in one statement
    does not lose the definitions after it; it is reported with its cell and line).
    Of the course's own cells only the setup the answers use is kept: imports,
    literal constants and ``device = pick_device()`` that the student's cells use. A function defined
    more than once takes its last definition, as a top-to-bottom run would.
    """
    program = AnswerProgram(notebook)
    names = {item.name for item in items_of(notebook)}
    course = course_cell_hashes().get(notebook, set())
    by_id = {c.grade_id: c for c in cells if c.grade_id}
    syntax_errors: dict[int, str] = {}
    # One syntax tree at a time (a notebook of tiny statements makes trees many times its size): what is kept of
    # each cell is its source, the names it uses and defines, and for a course cell its setup statements' text.
    parsed: list[tuple[Cell, str, bool, list[tuple[set[str], set[str], str]]]] = []
    used: set[str] = set()
    code_chars = 0
    code_cells = [c for c in cells if c.cell_type == "code"]
    too_many = len(code_cells) > MAX_CODE_CELLS
    if too_many:
        program.notes.append(f"the notebook has {len(code_cells)} code cells; the grader reads the first "
                             f"{MAX_CODE_CELLS}")
    for cell in code_cells[:MAX_CODE_CELLS]:
        label = f"cell {cell.index + 1}"
        if len(cell.source) > MAX_CELL_CHARS:
            program.notes.append(f"{label} is over {MAX_CELL_CHARS} characters and was skipped")
            continue
        code_chars += len(cell.source)
        if code_chars > MAX_CODE_CHARS:
            program.notes.append(f"{label} and the cells after it were skipped: the notebook has over "
                                 f"{MAX_CODE_CHARS} characters of code")
            break
        source = neutralise_magics(cell.source)
        try:
            tree = ast.parse(source, filename=f"<{label}>")
        except (SyntaxError, ValueError, MemoryError, RecursionError) as err:
            where = f"line {err.lineno}: " if isinstance(err, SyntaxError) and err.lineno else ""
            msg = err.msg if isinstance(err, SyntaxError) else type(err).__name__
            syntax_errors[cell.index] = f"{where}{msg}"
            program.notes.append(f"{label} has a syntax error ({where}{msg}); none of its code was run")
            continue
        is_course = is_course_cell(cell, course)
        setup = []
        if is_course:
            setup = [(_bound_names(node), {n.id for n in ast.walk(node) if isinstance(n, ast.Name)},
                      ast.unparse(node)) for node in tree.body if _course_setup(node)]
        else:
            used |= {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
            for name in _defined_names(tree) & names:
                program.found[name] = f"{label}"
            source = _without_check_machinery(source, tree)
        del tree
        parsed.append((cell, source, is_course, setup))
    for bound, uses, _text in reversed([s for _, _, is_course, setup in parsed for s in setup]):
        if bound & used:  # what the kept setup itself uses (device = pick_device() needs its import)
            used |= uses
    for cell, source, is_course, setup in parsed:
        label = f"cell {cell.index + 1}"
        if is_course:
            kept = [text for bound, _uses, text in setup if bound & used]
            if not kept:
                continue
            source = "\n".join(kept)
            label += " (setup)"
        program.units.append(CodeUnit(label, source))
    for item in items_of(notebook):
        if item.name in program.found:
            continue
        answer_cell = by_id.get(item.name)
        if answer_cell is not None and answer_cell.index in syntax_errors:
            why = f"your answer cell (cell {answer_cell.index + 1}) has a syntax error, " \
                  f"{syntax_errors[answer_cell.index]}"
        else:
            broken = [c.index for c in cells if c.index in syntax_errors and f"def {item.name}" in c.source]
            if broken:
                why = f"cell {broken[-1] + 1}, which defines it, has a syntax error, {syntax_errors[broken[-1]]}"
            elif too_many:
                why = (f"the notebook has more cells than the grader reads ({len(code_cells)} code cells; it reads "
                       f"the first {MAX_CODE_CELLS}): delete the cells you do not need and submit again")
            else:
                why = "no `def " + item.name + "(...)` was found in the notebook"
        program.missing[item.name] = f"{item.name} not found: {why}"
    return program


def identify_notebook(path: str | os.PathLike, cells: list[Cell]) -> str | None:
    """Which course notebook a file is: by its name, else by the graded answers it holds."""
    named = notebooks_named_in(Path(path).name)
    if named:
        return named[0]
    ids = {c.grade_id for c in cells if c.grade_id}
    text = "\n".join(c.source for c in cells if c.cell_type == "code")
    score: dict[str, int] = {}
    for item in all_items():
        if item.name in ids or re.search(rf"\bdef\s+{re.escape(item.name)}\s*\(", text):
            score[item.notebook] = score.get(item.notebook, 0) + 1
    if not score:
        return None
    return max(score, key=lambda k: score[k])


