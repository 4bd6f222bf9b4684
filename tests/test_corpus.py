"""Every answer of the corpus (tests/corpus/) graded by ``ganbias grade``: each gets the points a fair grader gives.

Correct answers written differently from the solution get full marks; wrong, unanswered and delegating
answers get 0, with a message; a wrong helper costs only the helper. The corpus is graded once per session,
in one batch, as a class whose students each hand in several notebooks (``corpus_grades`` in conftest.py):
one notebook's answer costs or earns points in that notebook only. The visible check cells catch most
wrong answers before the student hands in. Agreement with nbgrader: tests/test_agreement.py.
"""

from __future__ import annotations

import pytest
from agreement_support import expected_points
from autograder_support import why_delegating_answers_cannot_be_caught
from corpus_support import load_corpus

from autograder.checks import check
from autograder.grading import StudentGrade, feedback_text

CORPUS = load_corpus()


@pytest.mark.parametrize("entry", CORPUS, ids=[e.name for e in CORPUS])
@pytest.mark.slow
def test_corpus_answer_gets_fair_points(corpus_grades: dict[str, StudentGrade], entry) -> None:
    if entry.kind == "delegating" and (why := why_delegating_answers_cannot_be_caught()):
        pytest.skip(why)
    grade = corpus_grades[entry.name]  # the functions of the entry's notebook, graded in one batch with the rest
    got = {f.name: f.points for f in grade.functions}
    assert got == expected_points(entry), f"{entry.note}\n{feedback_text(grade)}"
    for fn in entry.points:
        f = next(f for f in grade.functions if f.name == fn)
        assert f.points == f.max_points or f.messages, f"{fn} lost points without a message"
    if entry.kind == "delegating":
        assert "write the computation yourself" in feedback_text(grade), feedback_text(grade)


def test_visible_checks_catch_most_wrong_answers(capsys: pytest.CaptureFixture) -> None:
    """At least 80% of the wrong answers fail a visible check (run in place, as the check cell does)."""
    wrong = [e for e in CORPUS if e.kind == "wrong"]
    caught = []
    for entry in wrong:
        ns: dict = {}
        exec("import numpy as np\nimport torch\n", ns)
        for src in entry.cells.values():
            exec(compile(src, entry.name, "exec"), ns)
        try:
            check(entry.function, namespace=ns)
        except AssertionError:
            caught.append(True)
        else:
            caught.append(False)
    missed = [e.name for e, c in zip(wrong, caught) if not c]
    assert sum(caught) >= 0.8 * len(wrong), f"visible checks miss {len(missed)} of {len(wrong)}: {missed}"
