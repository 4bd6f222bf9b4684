"""``nbgrader autograde`` and ``ganbias grade`` agree per function on a sample of the corpus covering every graded
notebook: a delegating answer of each, and an answer where a wrong helper must cost only itself.

The whole corpus: ``make agreement`` (the answers dealt into a class of 19 students, as in ``make test``; last run:
154 answers, 165 graded functions, 0 disagreements, 7 min 44 s on 2 cores; it took about 1.5 hours when each
answer was a submission of its own). When tests/test_corpus.py runs in
the same session, ``ganbias grade``'s side is read from its one batch over the corpus (``corpus_grades``).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from agreement_support import answered, corpus_class, run_agreement
from autograder_support import why_delegating_answers_cannot_be_caught
from corpus_support import load_corpus

from autograder.items import graded_notebooks, item_named


def sample() -> list:
    """A delegating answer of every graded notebook and an answer whose wrong helper must cost only itself, all
    answering different functions (and binding different names), so that they make one student's notebooks
    (:func:`agreement_support.corpus_class`): nbgrader runs each notebook once."""
    corpus = load_corpus()
    costs_only_itself = [e for e in corpus if len(e.points) > 1 and any(p == 0 for p in e.points.values())
                         and e.kind == "correct"]
    for first in costs_only_itself:
        chosen, places = [first], set(answered(first))
        for notebook in graded_notebooks():
            pick = next((e for e in corpus if item_named(e.function).notebook == notebook and e.kind == "delegating"
                         and not answered(e) & places), None)
            if pick is None:
                break
            chosen.append(pick)
            places |= answered(pick)
        else:
            return chosen
    raise AssertionError("no delegating answers and wrong-helper answer of the corpus fit one student")


def corpus_graded_in_this_session(request: pytest.FixtureRequest) -> Callable[[], dict] | None:
    """The whole corpus's grades (``corpus_grades``) when tests/test_corpus.py grades it in this session anyway.

    A function, called once nbgrader is done: meanwhile another worker may be grading the corpus.
    """
    if any(item.path.name == "test_corpus.py" and "corpus_grades" in getattr(item, "fixturenames", ())
           for item in request.session.items):
        return lambda: request.getfixturevalue("corpus_grades")
    return None  # this test alone: grade the sample only


@pytest.mark.slow
def test_nbgrader_and_ganbias_grade_agree_per_function(tmp_path: Path, request: pytest.FixtureRequest) -> None:
    if why := why_delegating_answers_cannot_be_caught():  # the sample is built on delegating answers
        pytest.skip(why)
    entries = sample()
    assert {item_named(e.function).notebook for e in entries} == set(graded_notebooks())
    assert len(corpus_class(entries)) == 1  # one student: each notebook through nbgrader once
    report = run_agreement(entries, tmp_path, graded=corpus_graded_in_this_session(request))
    print(report.text())
    assert not report.disagreements, report.text()
    assert not report.unfair, report.text()
