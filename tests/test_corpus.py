"""Every answer of the corpus (tests/corpus/) graded by ``ganbias grade``: each gets the points a fair grader gives.

Correct answers written differently from the solution get full marks; wrong, unanswered and delegating
answers get 0, with a message; a wrong helper costs only the helper. The corpus is graded once per session,
in one batch, as a class whose students each hand in several notebooks, each notebook holding the answers of
several entries, one per graded function (``corpus_grades`` in conftest.py): an answer costs or earns points
for its own function only, whatever the other answers in the notebook are. The visible check cells catch most
wrong answers before the student hands in. Agreement with nbgrader: tests/test_agreement.py.
"""

from __future__ import annotations

import contextlib
import io

import pytest
from autograder_support import why_delegating_answers_cannot_be_caught
from corpus_support import load_corpus

from autograder.grading import StudentGrade, feedback_text
from ganbias_helpers.checks import check

CORPUS = load_corpus()


@pytest.mark.parametrize("entry", CORPUS, ids=[e.name for e in CORPUS])
@pytest.mark.slow
def test_corpus_answer_gets_fair_points(corpus_grades: dict[str, StudentGrade], entry) -> None:
    if entry.kind == "delegating" and (why := why_delegating_answers_cannot_be_caught()):
        pytest.skip(why)
    grade = corpus_grades[entry.name]  # the functions the entry answers, graded in one batch with the rest
    got = {f.name: f.points for f in grade.functions}
    assert got == entry.points, f"{entry.note}\n{feedback_text(grade)}"
    for f in grade.functions:
        assert f.points == f.max_points or f.all_messages, f"{f.name} lost points without a message"
    if entry.kind == "delegating":
        said = " ".join(m for f in grade.functions for m in f.all_messages)
        assert "write the computation yourself" in said, feedback_text(grade)


def test_visible_checks_name_the_wrong_answers_mistakes() -> None:
    """Every wrong answer's stated mistake (its '# message:') is what the visible checks say, run in place as the
    check cell runs them; at least 90% of the wrong answers have one."""
    wrong = [e for e in CORPUS if e.kind == "wrong"]
    unnamed, missed = [], []
    for entry in wrong:
        ns: dict = {}
        exec("import numpy as np\nimport torch\n", ns)
        for src in entry.cells.values():
            exec(compile(src, entry.name, "exec"), ns)
        try:
            with contextlib.redirect_stdout(io.StringIO()):
                check(entry.function, namespace=ns)
            said = None
        except AssertionError as err:
            said = str(err)
        if not entry.message:
            unnamed.append(entry.name)
        elif said is None or entry.message not in said:
            missed.append(f"{entry.name}: expected {entry.message!r}, got {said!r}")
    assert not missed, "\n".join(missed)
    assert len(unnamed) <= 0.1 * len(wrong), f"{len(unnamed)} of {len(wrong)} wrong answers unnamed: {unnamed}"
