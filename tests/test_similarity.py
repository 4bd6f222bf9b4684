"""The similarity report (autograder/similarity.py): normalisation, pairs, the HTML and CSV, and `ganbias grade
--similarity` leaving grades as they are."""

from __future__ import annotations

import ast
import csv
import io
import subprocess
import sys
from pathlib import Path

from autograder_support import save, set_source, solution, trusted_flag

from autograder.similarity import (
    Answer,
    is_stub,
    normalise,
    shingles,
    similar_pairs,
    similarity_report,
)

NOTEBOOK = "04_fairness"

ORIGINAL = '''
def equalized_odds_gap(y_true, y_pred, group):
    """Docstring."""
    y_true, y_pred, group = np.asarray(y_true), np.asarray(y_pred), np.asarray(group)
    gaps = []
    for truth in (1, 0):
        rates = []
        for g in np.unique(group):
            mask = (group == g) & (y_true == truth)
            rates.append(y_pred[mask].mean() if mask.any() else 0.0)
        gaps.append(max(rates) - min(rates))
    return float(max(gaps))
'''

# the same code: other names, comments, formatting, another constant, no docstring
DISGUISED = '''
def equalized_odds_gap(labels,   preds, grp):
    # my own work!
    labels, preds, grp = (np.asarray(labels),
                          np.asarray(preds), np.asarray(grp))
    out = []
    for t in (1, 0):   # both classes
        r = []
        for k in np.unique(grp):
            m = (grp == k) & (labels == t)
            r.append(preds[m].mean() if m.any() else 0)
        out.append(max(r) - min(r))
    return float(max(out))
'''

# written otherwise
DIFFERENT = '''
def equalized_odds_gap(y_true, y_pred, group):
    y_true, y_pred, group = map(np.asarray, (y_true, y_pred, group))
    tpr = {g: y_pred[(group == g) & (y_true == 1)].mean() for g in set(group.tolist())}
    fpr = {g: y_pred[(group == g) & (y_true == 0)].mean() for g in set(group.tolist())}
    return float(max(max(tpr.values()) - min(tpr.values()), max(fpr.values()) - min(fpr.values())))
'''


def fn(text: str) -> ast.FunctionDef:
    return ast.parse(text).body[0]


def answer(student: str, text: str) -> Answer:
    norm = normalise(fn(text))
    return Answer(student, "equalized_odds_gap", text, norm, shingles(norm))


def test_normalise_removes_names_comments_formatting_and_literals() -> None:
    assert normalise(fn(ORIGINAL)) == normalise(fn(DISGUISED))
    assert normalise(fn(ORIGINAL)) != normalise(fn(DIFFERENT))
    assert "np.unique" in normalise(fn(ORIGINAL))  # what the code calls is kept
    assert "Docstring" not in normalise(fn(ORIGINAL))


def test_stubs_are_recognised() -> None:
    assert is_stub(fn('def f(x):\n    """Doc."""\n    # YOUR CODE HERE\n    raise NotImplementedError()\n'))
    assert is_stub(fn("def f(x):\n    pass\n"))
    assert not is_stub(fn("def f(x):\n    return x\n"))


def test_pairs_flag_copies_not_independent_or_common_answers() -> None:
    answers = [answer("alice", ORIGINAL), answer("bob", DISGUISED), answer("carol", DIFFERENT)]
    pairs, common = similar_pairs(answers, threshold=0.8)
    assert [(p.a.student, p.b.student) for p in pairs] == [("alice", "bob")]
    assert pairs[0].identical and pairs[0].similarity == 1.0 and common == 0
    # the natural answer, written alike by most of a class, is not a copy
    crowd = [answer(f"s{i}", ORIGINAL) for i in range(8)] + [answer("carol", DIFFERENT)]
    pairs, common = similar_pairs(crowd, threshold=0.8)
    assert pairs == [] and common == 8


def test_report_from_notebooks(tmp_path: Path) -> None:
    students = {}
    for student, text in (("alice", ORIGINAL), ("bob", DISGUISED), ("carol", DIFFERENT)):
        nb = set_source(solution(NOTEBOOK), "equalized_odds_gap", text)
        students[student] = [save(nb, tmp_path / student / f"{NOTEBOOK}.ipynb")]
    # a student who left the stub
    stub = set_source(solution(NOTEBOOK), "equalized_odds_gap",
                      "def equalized_odds_gap(y_true, y_pred, group):\n    raise NotImplementedError()\n")
    students["dave"] = [save(stub, tmp_path / "dave" / "renamed.ipynb")]
    report = similarity_report(students, tmp_path / "out", threshold=0.8)
    eo = [p for p in report.pairs if p.function == "equalized_odds_gap"]
    assert [(p.a.student, p.b.student) for p in eo] == [("alice", "bob")]
    assert report.skipped["equalized_odds_gap"] == 1 and report.answers["equalized_odds_gap"] == 3
    page = (tmp_path / "out" / "similarity.html").read_text()
    assert "# my own work!" in page and "flags, not findings" in page
    rows = list(csv.DictReader(io.StringIO((tmp_path / "out" / "similarity.csv").read_text())))
    row = next(r for r in rows if r["function"] == "equalized_odds_gap")
    assert (row["student_a"], row["student_b"]) == ("alice", "bob") and "labels" in row["answer_b"]


def test_html_escapes_students_code(tmp_path: Path) -> None:
    evil = ORIGINAL.replace('"""Docstring."""', '# </pre><script>alert(1)</script>')
    students = {}
    for student, text in (("alice", evil), ("bob", DISGUISED)):
        nb = set_source(solution(NOTEBOOK), "equalized_odds_gap", text)
        students[student] = [save(nb, tmp_path / student / f"{NOTEBOOK}.ipynb")]
    similarity_report(students, tmp_path / "out")
    page = (tmp_path / "out" / "similarity.html").read_text()
    assert "<script>" not in page and "&lt;script&gt;" in page


def test_ganbias_grade_similarity_keeps_grades(tmp_path: Path) -> None:
    submitted = tmp_path / "submitted"
    for student, text in (("alice", ORIGINAL), ("bob", DISGUISED)):
        nb = set_source(solution(NOTEBOOK), "equalized_odds_gap", text)
        save(nb, submitted / student / f"{NOTEBOOK}.ipynb")
    out = tmp_path / "grades"
    proc = subprocess.run([sys.executable, "-m", "autograder", "grade", str(submitted), "--out", str(out),
                           "--no-progress", "--similarity", *trusted_flag()], capture_output=True, text=True,
                          timeout=600)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "similarity:" in proc.stdout and (out / "similarity.html").is_file()
    rows = {r["student"]: r for r in csv.DictReader(io.StringIO((out / "grades.csv").read_text()))}
    assert rows["alice"]["total"] == rows["bob"]["total"] == "3"  # flagged, and graded as before
    flagged = list(csv.DictReader(io.StringIO((out / "similarity.csv").read_text())))
    assert any(r["function"] == "equalized_odds_gap" for r in flagged)
