"""One pytest test per graded function of a submitted notebook: ``pytest autograder --submission FILE``.

Runs exactly the checks of ``ganbias grade`` (the student's code in the sandbox,
the comparisons here) and reports each function as a test, its failure message
listing the checks that failed and why.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from autograder.grading import StudentGrade, Submission, grade_student
from autograder.items import Item, all_items
from autograder.notebook import SubmissionError, identify_notebook, read_notebook
from autograder.sandbox import World, choose_isolation


@pytest.fixture(scope="session")
def graded(request: pytest.FixtureRequest) -> Iterator[StudentGrade]:
    """The submission, graded once for the whole session."""
    path = request.config.getoption("--submission")
    if not path:
        pytest.skip("pass --submission FILE to check a notebook")
    path = Path(path)
    try:
        notebook = identify_notebook(path, read_notebook(path))
    except SubmissionError as err:
        pytest.fail(f"the submission cannot be graded: {err}", pytrace=False)
    if notebook is None:
        pytest.fail(f"{path.name}: no graded functions found (is it a course notebook?)", pytrace=False)
    world = World(choose_isolation(trusted=request.config.getoption("--trusted-submissions")))
    try:
        yield grade_student(path.stem, Submission([path]), world)
    finally:
        world.close()


@pytest.mark.parametrize("item", all_items(), ids=[i.name for i in all_items()])
def test_graded_function(graded: StudentGrade, item: Item) -> None:
    """The function passes every check (all its points), or the failure lists why not."""
    grades = {fg.name: fg for fg in graded.functions}
    if item.name not in grades:
        pytest.skip(f"{item.name} is in {item.notebook}, not in this notebook")
    fg = grades[item.name]
    report = "\n".join(f"  - {m}" for m in fg.all_messages)
    assert fg.points == fg.max_points, (
        f"{item.name}: {fg.points:g}/{fg.max_points:g} points, {fg.passed_cases}/{fg.total_cases} checks passed\n"
        f"{report}")
