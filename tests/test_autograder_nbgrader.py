"""Agreement with nbgrader: a real course directory (sqlite gradebook), the assignment released, several
submissions autograded by ``nbgrader autograde``, and the same submissions graded by the autograder.

To keep the suite's time sane this runs on 04_fairness (three graded functions, no steering run);
set ``GANBIAS_SLOW_TESTS=1`` to add 03_covariance (its notebook runs a steering experiment, about
40 s per submission on 2 CPU cores).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from autograder_support import (
    available_notebooks,
    fill,
    load,
    make_course,
    nbgrader,
    nbgrader_scores,
    set_source,
    solution,
    source,
    submit,
)

from autograder.checks import CaseBook
from autograder.grading import grade_student
from autograder.references import References
from autograder.sandbox import Limits
from autograder.spec import items_of

AGREE = ["04_fairness"] + (["03_covariance"] if os.environ.get("GANBIAS_SLOW_TESTS") else [])


def _renamed(src: str, old: str, new: str) -> str:
    return re.sub(rf"\bdef\s+{old}\s*\(", f"def {new}(", src)


def submissions(release: Path, notebook: str) -> dict[str, dict]:
    """Solutions, the untouched release, and two partly correct notebooks (some answers right, some wrong)."""
    sol, rel = solution(notebook), load(release / f"{notebook}.ipynb")
    names = [i.name for i in items_of(notebook)]
    carol = fill(rel, sol, names[::2])
    dave = fill(rel, sol, names)
    if notebook == "04_fairness":
        # equalized odds computed as equal opportunity (true positive rates only): a classic slip
        set_source(dave, "equalized_odds_gap", _renamed(source(sol, "equal_opportunity_gap"),
                                                        "equal_opportunity_gap", "equalized_odds_gap"))
    else:
        set_source(dave, names[0], source(sol, names[0]).replace("rowvar=False", "rowvar=True"))
    return {"alice": sol, "bob": rel, "carol": carol, "dave": dave}


def test_totals_agree_with_nbgrader(tmp_path: Path) -> None:
    notebooks = [nb for nb in AGREE if nb in available_notebooks()]
    if not notebooks:
        pytest.skip("the notebooks of the agreement test are not written yet")
    course = make_course(tmp_path, notebooks)
    release = course / "release" / "ganbias"
    by_student: dict[str, dict[str, dict]] = {}
    for nb in notebooks:
        for student, notebook in submissions(release, nb).items():
            by_student.setdefault(student, {})[nb] = notebook
    folders = {student: submit(course, student, nbs) for student, nbs in by_student.items()}
    nbgrader(course, "autograde", "ganbias", "--create", "--force")
    theirs = nbgrader_scores(course, notebooks, list(folders))

    book = CaseBook(References(), [i.name for nb in notebooks for i in items_of(nb)])
    ours = {}
    for student, folder in folders.items():
        g = grade_student(student, sorted(folder.glob("*.ipynb")), book, Limits(call_timeout_s=20))
        for nb in notebooks:
            ours[(student, nb)] = sum(f.points for f in g.functions if f.notebook == nb)
    assert ours == theirs
    for nb in notebooks:
        totals = {s: theirs[(s, nb)] for s in folders}
        assert totals["alice"] == sum(i.points for i in items_of(nb)) and totals["bob"] == 0
        assert 0 < totals["carol"] < totals["alice"] and 0 < totals["dave"] < totals["alice"]
