"""The course notebooks: they run, they are valid nbgrader notebooks, and the release matches the solutions.

* every solution notebook executes headless on CPU, top to bottom, with no error and at least one figure,
  and passes nbgrader's validation (both from one run of nbgrader's own validator);
* ``nbgrader generate_assignment`` regenerates exactly the student notebooks in ``notebooks/ganbias``;
* ``nbgrader validate`` fails on every untouched student notebook;
* the student notebooks hold no solution code and no hidden tests;
* grade ids are unique across the assignment, metadata is nbgrader schema 3, and the graded
  functions, their grade ids and points follow the contract the autograder relies on.

Notebooks are always copied to a temporary folder before they run: nothing is written into
``solutions/`` or ``notebooks/``.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from notebook_support import (
    ASSIGNMENT,
    CELEBA_JOB,
    FULL_SIZE,
    NOTEBOOKS,
    RELEASE,
    RELEASE_JOB,
    SOLUTIONS,
    STEERING,
    SharedRuns,
    course_copy,
)

from autograder.items import graded_notebooks, items_of
from ganbias_helpers.course import image_outputs

# The graded functions: notebook -> {grade_id (= function name): points}, from the autograder's own table.
CONTRACT = {"01_models.ipynb": {"describe_face": 0}} | {  # 01: a 0-point practice exercise (validate fails on it)
    f"{nb}.ipynb": {item.name: item.points for item in items_of(nb)} for nb in graded_notebooks()
}
# Ungraded answer cells (warm-ups): answer cells with no test cell of their own.
UNGRADED_ANSWERS = {"04_fairness.ipynb": {"warmup_parity", "warmup_odds"}}

SOLUTION_BLOCK = re.compile(r"### BEGIN SOLUTION\n(.*?)### END SOLUTION", re.S)
HIDDEN_BLOCK = re.compile(r"### BEGIN HIDDEN TESTS\n(.*?)### END HIDDEN TESTS", re.S)


def read(path: Path) -> nbformat.NotebookNode:
    return nbformat.read(path, as_version=4)


def nbgrader_meta(cell: nbformat.NotebookNode) -> dict:
    return cell.metadata.get("nbgrader", {})


def nbgrader(*args: str, cwd: Path, timeout: int = 1800) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=timeout)


# --------------------------------------------------------------------------- structure (fast)


def test_the_six_notebooks_exist() -> None:
    assert sorted(p.name for p in SOLUTIONS.glob("*.ipynb")) == NOTEBOOKS
    assert sorted(p.name for p in RELEASE.glob("*.ipynb")) == NOTEBOOKS


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_solution_notebooks_are_stored_without_outputs(name: str) -> None:
    nb = read(SOLUTIONS / name)
    nbformat.validate(nb)
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, f"{name}: clear outputs before committing"


def test_grade_ids_are_unique_and_metadata_is_schema_3() -> None:
    seen: dict[str, str] = {}
    for name in NOTEBOOKS:
        for folder in (SOLUTIONS, RELEASE):
            for cell in read(folder / name).cells:
                meta = nbgrader_meta(cell)
                assert meta, f"{folder.name}/{name}: a cell without nbgrader metadata: {cell.source[:60]!r}"
                assert meta["schema_version"] == 3
                assert meta["grade_id"], f"{name}: empty grade_id"
                if meta["grade"]:
                    assert "points" in meta and meta["points"] >= 0
                    if not meta["solution"]:  # a written answer (graded by hand) is the one graded cell left open
                        assert meta["locked"], f"{name}: graded test cell {meta['grade_id']} must be locked"
                if folder == SOLUTIONS:
                    gid = meta["grade_id"]
                    assert gid not in seen, f"grade_id {gid!r} appears in {seen.get(gid)} and {name}"
                    seen[gid] = name


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_graded_functions_follow_the_contract(name: str) -> None:
    cells = read(SOLUTIONS / name).cells
    code = [c.cell_type == "code" for c in cells]  # written answers (markdown) are tested below
    answers = {nbgrader_meta(c)["grade_id"]: i for i, c in enumerate(cells) if nbgrader_meta(c)["solution"] and code[i]}
    tests = {nbgrader_meta(c)["grade_id"]: nbgrader_meta(c)["points"] for i, c in enumerate(cells)
             if nbgrader_meta(c)["grade"] and code[i]}
    expected = CONTRACT[name]
    assert set(answers) == set(expected) | UNGRADED_ANSWERS.get(name, set())
    assert tests == {f"test_{fn}": points for fn, points in expected.items()}
    for fn in expected:
        answer = cells[answers[fn]]
        assert answer.cell_type == "code" and not nbgrader_meta(answer)["grade"]
        assert re.search(rf"^def {fn}\(", answer.source, re.M), f"cell {fn} must define the function {fn}"
        assert SOLUTION_BLOCK.search(answer.source), f"cell {fn} needs a BEGIN/END SOLUTION block"
        test_cell = cells[answers[fn] + 1]
        assert nbgrader_meta(test_cell)["grade_id"] == f"test_{fn}", f"the test of {fn} must follow it directly"
        assert HIDDEN_BLOCK.search(test_cell.source), f"test_{fn} needs hidden tests"
        if expected[fn] == 0:  # a practice exercise (01): not an autograder item, its own asserts
            continue
        # One truth: the test cell runs the autograder's own cases, visible ones and (hidden) the rest.
        visible, hidden = test_cell.source.split("### BEGIN HIDDEN TESTS")
        assert f'check("{fn}")' in visible, f"test_{fn} must run the visible checks: check({fn!r})"
        assert HIDDEN_BLOCK.search(test_cell.source) and f'check_hidden("{fn}")' in hidden, \
            f"test_{fn} must run the hidden checks: check_hidden({fn!r}), between the hidden-test markers"


def test_written_questions_are_manually_graded_answer_cells_with_a_hidden_rubric() -> None:
    """From notebook 02 on: at least one written question each, as the grader's table lists them."""
    from autograder.manual import manual_questions

    found = []
    for name in NOTEBOOKS:
        cells = read(SOLUTIONS / name).cells
        for i, cell in enumerate(cells):
            meta = nbgrader_meta(cell)
            if cell.cell_type != "markdown" or not meta["solution"]:
                continue
            assert meta["grade"] and not meta["locked"] and meta["points"] > 0, f"{name}: {meta['grade_id']}"
            assert SOLUTION_BLOCK.search(cell.source + "\n") and "Rubric" in cell.source, \
                f"{name}: {meta['grade_id']} needs its rubric inside the solution markers"
            question = cells[i - 1]
            assert question.cell_type == "markdown" and nbgrader_meta(question)["locked"]
            assert "Written question" in question.source and f"({meta['points']:g} points" in question.source
            found.append((name.removesuffix(".ipynb"), meta["grade_id"], meta["points"]))
    per_notebook = {n for n, _, _ in found}
    assert per_notebook == {n.removesuffix(".ipynb") for n in NOTEBOOKS[1:]}, "one or more per notebook from 02 on"
    assert len(found) >= 8
    assert [(q.notebook, q.grade_id, q.points) for q in manual_questions()] == found


def test_graded_signatures() -> None:
    signatures = {
        "steering_step": "gen, classifier, noise, target_index, step_size=0.1, direction=1",
        "covariance_matrix_from_examples": "examples",
        "get_top_magnitude_indices": "values",
        "remove_from_list": "indices, index_to_remove",
        "get_top_covariances": "classification_changes, target_index, top_n=10",
        "demographic_parity_gap": "y_true, y_pred, group",
        "equalized_odds_gap": "y_true, y_pred, group",
        "equal_opportunity_gap": "y_true, y_pred, group",
        "per_class_recall": "y_true, y_pred, n_classes",
        "inverse_frequency_weights": "labels, n_classes",
        "project_out": "direction, other",
        "conditional_steering_step": "gen, classifier, noise, target_index, hold_index, step_size=0.1, direction=1",
    }
    sources = "\n".join(c.source for name in NOTEBOOKS for c in read(SOLUTIONS / name).cells)
    for fn, args in signatures.items():
        assert f"def {fn}({args}):" in sources, f"{fn} must keep the signature ({args})"


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_release_has_no_solutions_or_hidden_tests(name: str) -> None:
    source_cells = {nbgrader_meta(c)["grade_id"]: c for c in read(SOLUTIONS / name).cells}
    release = read(RELEASE / name)
    text = json.dumps(release)
    for marker in ("BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS", "END HIDDEN TESTS"):
        assert marker not in text, f"{name}: the release still contains {marker!r}"
    for cell in release.cells:
        meta = nbgrader_meta(cell)
        original = source_cells[meta["grade_id"]]
        if meta["solution"] and cell.cell_type == "markdown":  # a written answer: the rubric stays out
            assert cell.source.strip() == "YOUR ANSWER HERE", f"{name}: {meta['grade_id']} should be an empty answer"
        elif meta["solution"]:
            assert "raise NotImplementedError()" in cell.source
            for block in SOLUTION_BLOCK.findall(original.source):
                for line in block.splitlines():
                    if line.strip() and not line.strip().startswith("#"):
                        assert line.strip() not in cell.source, f"{name}: solution line leaked: {line.strip()!r}"
        if meta["grade"]:
            for block in HIDDEN_BLOCK.findall(original.source):
                for line in block.splitlines():
                    if line.strip():
                        assert line not in cell.source.splitlines(), f"{name}: hidden test leaked: {line!r}"


def test_release_is_what_nbgrader_generates(tmp_path: Path) -> None:
    course = course_copy(tmp_path, SOLUTIONS)
    result = nbgrader("generate_assignment", ASSIGNMENT, "--no-db", "--force", cwd=course, timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr
    generated = course / "notebooks" / ASSIGNMENT
    assert sorted(p.name for p in generated.iterdir()) == NOTEBOOKS
    for name in NOTEBOOKS:
        fresh = json.loads((generated / name).read_text())
        shipped = json.loads((RELEASE / name).read_text())
        assert fresh == shipped, (
            f"notebooks/{ASSIGNMENT}/{name} is out of date: regenerate it with "
            f"'nbgrader generate_assignment {ASSIGNMENT} --force --no-db' from the repository root"
        )
    assert not (course / "gradebook.db").exists()


# --------------------------------------------------------------------------- execution (slow)

@pytest.fixture(scope="module")
def notebook_runs(shared_runs: SharedRuns) -> SharedRuns:
    """The session's notebook runs (conftest.py's ``shared_runs``): each runs once, the first time a test asks."""
    return shared_runs


def executed_solution(notebook_runs: SharedRuns, name: str) -> tuple[dict, nbformat.NotebookNode]:
    """The validation verdict and the executed notebook of one solution job (failing with its output if it broke)."""
    from notebook_support import validated

    finished, folder = notebook_runs.get(name)
    assert finished.returncode == 0, f"{name}: nbgrader's validator could not run it:\n{finished.output[-3000:]}"
    return validated(folder)


def errors_in(nb: nbformat.NotebookNode) -> list[str]:
    """``ename: evalue`` of every error output."""
    return [f"{o.ename}: {o.evalue}" for c in nb.cells if c.cell_type == "code" for o in c.outputs
            if o.output_type == "error"]


@pytest.mark.slow
@pytest.mark.parametrize("name", NOTEBOOKS)
def test_solution_notebook_runs_headless_validates_and_draws(name: str, notebook_runs: SharedRuns) -> None:
    results, nb = executed_solution(notebook_runs, name)
    errors = errors_in(nb)
    assert not errors, f"{name} raised: {errors}"
    assert results == {}, f"nbgrader validate should pass on the solution {name}: {results}"
    assert image_outputs(nb) >= 1, f"{name} produced no figure"
    if name in STEERING:
        text = "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.outputs)
        small = "GANBIAS_EXPERIMENT_SIZE is set" in text
        assert small == (name != FULL_SIZE), f"{name} should steer at the {'full' if small else 'small'} size"


@pytest.mark.slow
def test_nbgrader_validate_fails_on_every_untouched_release_notebook(notebook_runs: SharedRuns) -> None:
    finished, _ = notebook_runs.get(RELEASE_JOB)
    out = finished.output
    assert out.count("VALIDATION FAILED") == len(NOTEBOOKS), f"all must fail:\n{out[-3000:]}"
    assert "Success!" not in out
    assert "NotImplementedError" in out


@pytest.mark.slow
def test_notebook_1_trains_a_classifier_when_given_a_celeba_folder(notebook_runs: SharedRuns) -> None:
    finished, folder = notebook_runs.get(CELEBA_JOB)
    assert finished.returncode == 0, f"01_models.ipynb failed with a CelebA folder:\n{finished.output[-3000:]}"
    nb = nbformat.read(folder / "executed.ipynb", as_version=4)
    text = "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.outputs)
    assert "Now using your own classifier" in text
    assert (folder / "my_classifier" / "pretrained_classifier.pth").exists()
