"""The corpus of student answers (tests/corpus/) is well formed: see tests/corpus_support.py.

Only the format is checked here (headers, points against kinds, code that compiles and defines
what it answers, notebooks it fits into); grading the corpus is the autograder's tests' job.
"""

from __future__ import annotations

import ast
import json
from collections import Counter
from functools import cache
from pathlib import Path

import pytest
from corpus_support import KINDS, CorpusFormatError, Entry, build_notebook, load_corpus, load_entry

REPO = Path(__file__).resolve().parent.parent
SOLUTIONS = REPO / "solutions" / "ganbias"
RELEASE = REPO / "notebooks" / "ganbias"

#: The least a graded function's folder must hold, by kind.
MINIMUM = {"stub": 1, "wrong": 2, "correct": 2, "delegating": 1}


def _nbgrader(cell: dict) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {})


def _source(cell: dict) -> str:
    src = cell["source"]
    return "".join(src) if isinstance(src, list) else src


@cache
def graded() -> dict[str, tuple[str, float]]:
    """Graded function name to (notebook stem, points), read from the solution notebooks' nbgrader metadata.

    A graded function is an answer cell (``solution: true``) whose ``test_<name>`` cell carries points
    (more than 0: notebook 1's self-check is worth none).
    """
    table: dict[str, tuple[str, float]] = {}
    for path in sorted(SOLUTIONS.glob("*.ipynb")):
        cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
        points = {_nbgrader(c)["grade_id"]: _nbgrader(c).get("points") for c in cells if _nbgrader(c).get("grade")}
        for cell in cells:
            meta = _nbgrader(cell)
            name = meta.get("grade_id")
            if cell["cell_type"] == "code" and meta.get("solution") and (points.get(f"test_{name}") or 0) > 0:
                table[name] = (path.stem, float(points[f"test_{name}"]))
    return table


@cache
def release(notebook: str) -> dict:
    return json.loads((RELEASE / f"{notebook}.ipynb").read_text(encoding="utf-8"))


def release_cell(notebook: str, name: str) -> str:
    for cell in release(notebook)["cells"]:
        if _nbgrader(cell).get("grade_id") == name:
            return _source(cell)
    raise KeyError(name)


CORPUS = load_corpus()


def test_the_table_of_graded_functions_is_read():
    assert len(graded()) == 12, graded()
    assert graded()["steering_step"] == ("02_steering", 2.0)


def test_every_graded_function_has_the_minimum_of_each_kind():
    counts = Counter((e.function, e.kind) for e in CORPUS)
    short = {f"{name} {kind}": f"{counts[name, kind]} < {least}"
             for name in graded() for kind, least in MINIMUM.items() if counts[name, kind] < least}
    assert not short, f"too few corpus answers: {short}"


def test_every_folder_is_a_graded_function():
    root = REPO / "tests" / "corpus"
    folders = {p.name for p in root.iterdir() if p.is_dir() and not p.name.startswith((".", "__"))}
    assert folders <= set(graded()), f"folders that are no graded function: {sorted(folders - set(graded()))}"


@pytest.mark.parametrize("entry", CORPUS, ids=lambda e: e.name)
def test_points_match_the_kind(entry: Entry):
    assert entry.kind in KINDS
    unknown = set(entry.points) - set(graded())
    assert not unknown, f"{entry.name}: no graded functions called {sorted(unknown)}"
    full = graded()[entry.function][1]
    expected = full if entry.kind == "correct" else 0.0
    assert entry.points[entry.function] == expected, (
        f"{entry.name}: a {entry.kind} answer to {entry.function} earns {expected:g}, "
        f"not {entry.points[entry.function]:g}")
    for name, points in entry.points.items():
        assert points in (0.0, graded()[name][1]), f"{entry.name}: {name} earns 0 or all its points, not {points:g}"


@pytest.mark.parametrize("entry", CORPUS, ids=lambda e: e.name)
def test_each_cell_compiles_and_defines_its_function(entry: Entry):
    for name, source in entry.cells.items():
        tree = compile(source, f"{entry.path}:{name}", "exec", ast.PyCF_ONLY_AST)
        bound: set[str] = set()
        for node in tree.body:
            if isinstance(node, ast.FunctionDef | ast.ClassDef):
                bound.add(node.name)
            elif isinstance(node, ast.Import | ast.ImportFrom):
                bound.update((a.asname or a.name).split(".")[0] for a in node.names)
            elif isinstance(node, ast.Assign):
                bound.update(t.id for t in node.targets if isinstance(t, ast.Name))
        assert name in bound, f"{entry.name}: the cell for {name} does not define {name} at module level"
        compile(source, f"{entry.path}:{name}", "exec")


@pytest.mark.parametrize("entry", CORPUS, ids=lambda e: e.name)
def test_the_answer_fits_into_its_release_notebook(entry: Entry):
    notebooks = {graded()[name][0] for name in entry.cells}
    assert len(notebooks) == 1, f"{entry.name}: its cells span several notebooks {sorted(notebooks)}"
    base = release(notebooks.pop())
    nb = build_notebook(entry, base)
    assert len(nb["cells"]) == len(base["cells"])
    changed = {_nbgrader(c).get("grade_id") for c, b in zip(nb["cells"], base["cells"]) if c != b}
    assert changed <= set(entry.cells)
    for cell in nb["cells"]:
        if _nbgrader(cell).get("grade_id") in entry.cells:
            assert _source(cell) == entry.cells[_nbgrader(cell)["grade_id"]]
    assert base == release(graded()[entry.function][0]), "build_notebook changed its base"


def test_stubs_are_the_release_cells():
    for entry in CORPUS:
        if entry.kind == "stub":
            expected = release_cell(graded()[entry.function][0], entry.function)
            assert entry.cells[entry.function].rstrip("\n") == expected.rstrip("\n"), (
                f"{entry.name} is not the release's answer cell (make notebooks changed it?)")


def test_labels_start_with_their_kind():
    for entry in CORPUS:
        assert entry.label.split("_")[0] == entry.kind, f"{entry.name}: name the file {entry.kind}_..."


def test_corpus_files_are_not_collected_by_pytest():
    assert not [e.path for e in CORPUS if e.path.name.startswith("test_") or e.path.stem.endswith("_test")]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("# kind: wrong\n# note: x\nx = 1\n", "lacks # points:"),
        ("# points: project_out=1\n# kind: maybe\n# note: x\nx = 1\n", "is not one of"),
        ("# points: project_out\n# kind: wrong\n# note: x\nx = 1\n", "is not 'function_name=number'"),
        ("# points: project_out=1\n# kind: correct\n# note: x\n# note: y\nx = 1\n", "a second"),
        ("# points: project_out=1\n# kind: correct\n# note:\nx = 1\n", "'# note:' is empty"),
        ("# points: project_out=1\n# kind: correct\n# note: x\n", "no code"),
        ("# points: project_out=0 conditional_steering_step=2\n# kind: wrong\n# note: x\nx = 1\n", "no '# --- cell"),
        ("# points: project_out=0 conditional_steering_step=2\n# kind: wrong\n# note: x\n"
         "# --- cell: project_out\nx = 1\n", "do not match"),
        ("# points: project_out=0\n# kind: wrong\n# note: x\nimport os\n# --- cell: project_out\nx = 1\n",
         "before the first"),
        ("# points: project_out=1\n# kind: correct\n# note: x\n# message: you did\nx = 1\n", "'# message:' names"),
        ("# points: project_out=0\n# kind: wrong\n# note: x\n# message:\nx = 1\n", "'# message:' names"),
    ],
)
def test_malformed_files_are_refused(tmp_path: Path, text: str, message: str):
    path = tmp_path / "bad.py"
    path.write_text(text)
    with pytest.raises(CorpusFormatError, match=message):
        load_entry(path)


def test_cells_are_split_at_markers(tmp_path: Path):
    path = tmp_path / "two.py"
    path.write_text("# points: conditional_steering_step=2 project_out=0\n# kind: correct\n# note: n\n"
                    "# --- cell: project_out\ndef project_out(d, o):\n    return d\n\n"
                    "# --- cell: conditional_steering_step\ndef conditional_steering_step():\n    pass\n")
    entry = load_entry(path)
    assert entry.function == "conditional_steering_step" and entry.label == "two"
    assert entry.points == {"conditional_steering_step": 2.0, "project_out": 0.0}
    assert entry.cells == {"conditional_steering_step": "def conditional_steering_step():\n    pass\n",
                           "project_out": "def project_out(d, o):\n    return d\n"}
    with pytest.raises(KeyError, match="no answer cell"):
        build_notebook(entry, {"cells": []})
