"""Read a submitted notebook defensively and find the code of each graded answer.

Nothing here executes student code: the notebook is parsed as JSON, its code cells
as Python syntax trees, and the answer program (imports, function and class
definitions, literal constants) is handed to the sandbox as source text.
"""

from __future__ import annotations

import ast
import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from types import CodeType

from .spec import GRADED_ITEMS, items_of, notebooks_named_in

#: Larger files are refused unread (a course notebook with its figures is well under 10 MB).
MAX_NOTEBOOK_BYTES = 25 * 2**20
#: Code cells beyond this count are ignored (a notebook is a few dozen cells).
MAX_CODE_CELLS = 2000
#: A code cell longer than this is not parsed.
MAX_CELL_CHARS = 200_000

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
    """

    index: int
    cell_type: str
    source: str
    grade_id: str | None = None
    points: float | None = None


@dataclass
class CodeUnit:
    """The part of one code cell that the sandbox runs.

    Attributes:
        label: Name used in tracebacks, e.g. ``"cell 7"``.
        source: The cell's source with IPython magics neutralised.
        keep: Indices of the top-level statements to execute.
    """

    label: str
    source: str
    keep: list[int]


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
        size = path.stat().st_size
    except OSError as err:
        raise SubmissionError(f"cannot read {path.name}: {err.strerror}") from err
    if size > MAX_NOTEBOOK_BYTES:
        raise SubmissionError(
            f"{path.name} is {size / 2**20:.1f} MB, over the {MAX_NOTEBOOK_BYTES // 2**20} MB limit "
            "(clear the outputs, Cell > All Output > Clear, and submit again)"
        )
    data = path.read_bytes()
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
        if isinstance(nbg, dict):
            grade_id = nbg.get("grade_id") if isinstance(nbg.get("grade_id"), str) else None
            if isinstance(nbg.get("points"), (int, float)) and not isinstance(nbg.get("points"), bool):
                points = float(nbg["points"])
        cells.append(Cell(index, str(raw.get("cell_type", "")), source, grade_id, points))
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


def _is_literal(node: ast.AST) -> bool:
    try:
        ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return False
    return True


#: Setup calls whose results answers may use as globals (``device = pick_device()``...).
SAFE_SETUP_CALLS = frozenset({"pick_device", "attribute_index", "load_pretrained"})


def _is_safe_setup_call(node: ast.AST) -> bool:
    if not isinstance(node, ast.Call):
        return False
    func = node.func
    name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else None
    simple = (ast.Name, ast.Constant, ast.Attribute)
    return name in SAFE_SETUP_CALLS and all(isinstance(a, simple) for a in node.args) and all(
        isinstance(k.value, simple) for k in node.keywords)


def _names_only(target: ast.expr) -> bool:
    if isinstance(target, ast.Name):
        return True
    return isinstance(target, (ast.Tuple, ast.List)) and all(isinstance(e, ast.Name) for e in target.elts)


def _keep(node: ast.stmt) -> bool:
    """Whether a top-level statement belongs to the answer program (definitions, not actions)."""
    if isinstance(node, (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return True
    if isinstance(node, ast.Assign):
        return all(_names_only(t) for t in node.targets) and (_is_literal(node.value)
                                                              or _is_safe_setup_call(node.value))
    if isinstance(node, ast.AnnAssign):
        return isinstance(node.target, ast.Name) and node.value is not None and _is_literal(node.value)
    if isinstance(node, ast.Try):
        body = node.body + [s for h in node.handlers for s in h.body] + node.orelse + node.finalbody
        return all(isinstance(s, (ast.Import, ast.ImportFrom, ast.Pass)) for s in body)
    return False


def _defined_names(tree: ast.Module) -> set[str]:
    return {n.name for n in tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))}


def build_program(cells: list[Cell], notebook: str) -> AnswerProgram:
    """Collect the answer program of ``notebook``'s graded functions from ``cells``.

    Every code cell contributes its imports, definitions and literal constants, in
    notebook order, so helpers in other cells, moved or split cells work. A function
    defined more than once takes its last definition, as a top-to-bottom run would.
    The cell with the function's ``grade_id`` is only used to explain a missing answer.
    """
    program = AnswerProgram(notebook)
    items = items_of(notebook)
    names = {item.name for item in items}
    by_id = {c.grade_id: c for c in cells if c.grade_id}
    syntax_errors: dict[int, str] = {}
    code_cells = [c for c in cells if c.cell_type == "code"][:MAX_CODE_CELLS]
    for cell in code_cells:
        label = f"cell {cell.index + 1}"
        if len(cell.source) > MAX_CELL_CHARS:
            program.notes.append(f"{label} is over {MAX_CELL_CHARS} characters and was skipped")
            continue
        source = neutralise_magics(cell.source)
        try:
            tree = ast.parse(source, filename=f"<{label}>")
        except (SyntaxError, ValueError, MemoryError, RecursionError) as err:
            where = f"line {err.lineno}: " if isinstance(err, SyntaxError) and err.lineno else ""
            msg = err.msg if isinstance(err, SyntaxError) else type(err).__name__
            syntax_errors[cell.index] = f"{where}{msg}"
            program.notes.append(f"{label} has a syntax error ({where}{msg}); none of its code was run")
            continue
        keep = [i for i, node in enumerate(tree.body) if _keep(node)]
        if keep:
            program.units.append(CodeUnit(label, source, keep))
        for name in _defined_names(tree) & names:
            program.found[name] = label
    for item in items:
        if item.name in program.found:
            continue
        answer_cell = by_id.get(item.name)
        if answer_cell is not None and answer_cell.index in syntax_errors:
            why = f"your answer cell (cell {answer_cell.index + 1}) has a syntax error, " \
                  f"{syntax_errors[answer_cell.index]}"
        else:
            broken = [i for i, c in enumerate(cells) if i in syntax_errors and f"def {item.name}" in c.source]
            if broken:
                why = f"cell {broken[-1] + 1}, which defines it, has a syntax error, {syntax_errors[broken[-1]]}"
            else:
                why = "no `def " + item.name + "(...)` was found in the notebook"
        program.missing[item.name] = f"{item.name} not found: {why}"
    return program


def compile_unit(source: str, keep: list[int], filename: str) -> CodeType:
    """Compile the kept top-level statements (``keep``) of one code unit's ``source``."""
    tree = ast.parse(source, filename=filename)
    return compile(ast.Module(body=[tree.body[i] for i in keep], type_ignores=[]), filename, "exec")


def identify_notebook(path: str | os.PathLike, cells: list[Cell]) -> str | None:
    """Which course notebook a file is: by its name, else by the graded answers it holds."""
    named = notebooks_named_in(Path(path).name)
    if named:
        return named[0]
    ids = {c.grade_id for c in cells if c.grade_id}
    text = "\n".join(c.source for c in cells if c.cell_type == "code")
    score: dict[str, int] = {}
    for item in GRADED_ITEMS:
        if item.name in ids or re.search(rf"\bdef\s+{re.escape(item.name)}\s*\(", text):
            score[item.notebook] = score.get(item.notebook, 0) + 1
    if not score:
        return None
    return max(score, key=lambda k: score[k])


