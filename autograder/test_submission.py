"""One pytest test per graded function of a submitted notebook: ``pytest autograder --submission FILE``.

Runs exactly the checks of ``ganbias grade`` (the student's code in the sandbox,
the comparisons here) and reports each function as a test, its failure message
listing the checks that failed and why.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from autograder.checks import CaseBook
from autograder.grading import StudentGrade, grade_student
from autograder.notebook import SubmissionError, identify_notebook, read_notebook
from autograder.references import References
from autograder.sandbox import Limits
from autograder.spec import GRADED_ITEMS, GradedItem, items_of


@pytest.fixture(scope="session")
def graded(request: pytest.FixtureRequest) -> StudentGrade:
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
    book = CaseBook(References(request.config.getoption("--solutions")), [i.name for i in items_of(notebook)])
    if book.errors:
        pytest.fail("; ".join(book.errors.values()), pytrace=False)
    return grade_student(path.stem, [path], book, Limits(use_zygote=False))


@pytest.mark.parametrize("item", GRADED_ITEMS, ids=[i.name for i in GRADED_ITEMS])
def test_graded_function(graded: StudentGrade, item: GradedItem) -> None:
    """The function passes every check (all its points), or the failure lists why not."""
    grades = {fg.name: fg for fg in graded.functions}
    if item.name not in grades:
        pytest.skip(f"{item.name} is in {item.notebook}, not in this notebook")
    fg = grades[item.name]
    report = "\n".join(f"  - {m}" for m in fg.messages)
    assert fg.points == fg.max_points, (
        f"{item.name}: {fg.points:g}/{fg.max_points:g} points, {fg.passed_cases}/{fg.total_cases} checks passed\n"
        f"{report}")
