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
    Source,
    is_stub,
    known_sources,
    make_answer,
    normalise,
    similar_pairs,
    similarity_report,
    source_matches,
    statements,
)

NOTEBOOK = "04_fairness"

# a student's own answer (not the solution's)
ORIGINAL = '''
def equalized_odds_gap(y_true, y_pred, group):
    """Docstring."""
    y_true = np.asarray(y_true).astype(int)
    y_pred, group = np.asarray(y_pred).astype(int), np.asarray(group)
    worst = 0.0
    for truth in (1, 0):
        seen = {}
        for g in sorted(set(group.tolist())):
            mask = (group == g) & (y_true == truth)
            seen[g] = y_pred[mask].sum() / max(mask.sum(), 1)
        worst = max(worst, max(seen.values()) - min(seen.values()))
    return float(worst)
'''

# the same code: other names, comments, formatting, another constant, no docstring, one variable added
DISGUISED = '''
def equalized_odds_gap(labels,   preds, grp):
    # my own work!
    labels = np.asarray(labels).astype(int)
    n = len(labels)
    preds, grp = (np.asarray(preds).astype(int),
                  np.asarray(grp))
    biggest = 0
    for t in (1, 0):   # both classes
        r = {}
        for k in sorted(set(grp.tolist())):
            m = (grp == k) & (labels == t)
            r[k] = preds[m].sum() / max(m.sum(), 1)
        biggest = max(biggest, max(r.values()) - min(r.values()))
    return float(biggest)
'''

# the solution notebook's answer, renamed
SOLUTION_COPY = '''
def equalized_odds_gap(a, b, c):
    a, b, c = np.asarray(a), np.asarray(b), np.asarray(c)
    out = []
    for t in (1, 0):
        r = []
        for k in np.unique(c):
            m = (c == k) & (a == t)
            r.append(b[m].mean() if m.any() else 0.0)
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
    return make_answer(student, "equalized_odds_gap", text, normalise(fn(text)))


def test_normalise_removes_names_comments_formatting_and_literals() -> None:
    renamed = (ORIGINAL.replace("worst", "biggest").replace("seen", "r").replace("y_true", "labels")
               .replace('"""Docstring."""', "# mine").replace("0.0", "0").replace("(1, 0)", "(1,   0)"))
    assert normalise(fn(ORIGINAL)) == normalise(fn(renamed))
    assert normalise(fn(ORIGINAL)) != normalise(fn(DIFFERENT))
    assert "np.unique" in normalise(fn(SOLUTION_COPY))  # what the code calls is kept
    assert "Docstring" not in normalise(fn(ORIGINAL))
    # a variable added early does not rename the ones after it: most statements stay the same
    original, disguised = statements(normalise(fn(ORIGINAL))), statements(normalise(fn(DISGUISED)))
    assert len(set(original) & set(disguised)) >= len(original) - 2


def test_stubs_are_recognised() -> None:
    assert is_stub(fn('def f(x):\n    """Doc."""\n    # YOUR CODE HERE\n    raise NotImplementedError()\n'))
    assert is_stub(fn("def f(x):\n    pass\n"))
    assert not is_stub(fn("def f(x):\n    return x\n"))


def test_pairs_flag_copies_not_independent_or_common_answers() -> None:
    answers = [answer("alice", ORIGINAL), answer("bob", DISGUISED), answer("carol", DIFFERENT)]
    pairs, common = similar_pairs(answers)
    assert [(p.a.student, p.b.student) for p in pairs] == [("alice", "bob")]
    assert not pairs[0].identical and pairs[0].similarity >= 0.8 and common == 0
    assert "a0 = np.asarray(a0).astype(int)" in pairs[0].shared, pairs[0].shared  # why: a rare statement
    # the natural answer, written alike by several students, is not a copy, even in a class of 8
    crowd = [answer(f"s{i}", SOLUTION_COPY) for i in range(4)] + [answer(f"t{i}", DIFFERENT) for i in range(3)]
    pairs, common = similar_pairs(crowd + [answer("carol", ORIGINAL)])
    assert pairs == [] and common == 7


def test_code_a_known_source_holds_counts_for_nothing_and_a_copy_of_it_is_listed() -> None:
    sources = known_sources(["equalized_odds_gap"])["equalized_odds_gap"]
    assert any(s.name.startswith("solutions/") for s in sources)
    assert any(s.name == "ganbias_helpers/reference.py: equalized_odds_gap" for s in sources)
    two = [answer("alice", SOLUTION_COPY), answer("bob", SOLUTION_COPY), answer("carol", DIFFERENT)]
    assert similar_pairs(two, sources=sources)[0] == []  # two students who both wrote the solution: no pair
    matches = source_matches(two, sources)
    assert [m.answer.student for m in matches] == ["alice", "bob"]
    assert all(m.source == "solutions/ganbias/04_fairness.ipynb: equalized_odds_gap" for m in matches)


def test_report_from_notebooks(tmp_path: Path) -> None:
    students = {}
    for student, text in (("alice", ORIGINAL), ("bob", DISGUISED), ("carol", DIFFERENT)):
        nb = set_source(solution(NOTEBOOK), "equalized_odds_gap", text)
        students[student] = [save(nb, tmp_path / student / f"{NOTEBOOK}.ipynb")]
    # a student who left the stub
    stub = set_source(solution(NOTEBOOK), "equalized_odds_gap",
                      "def equalized_odds_gap(y_true, y_pred, group):\n    raise NotImplementedError()\n")
    students["dave"] = [save(stub, tmp_path / "dave" / "renamed.ipynb")]
    report = similarity_report(students, tmp_path / "out")
    eo = [p for p in report.pairs if p.function == "equalized_odds_gap"]
    assert [(p.a.student, p.b.student) for p in eo] == [("alice", "bob")]
    assert report.skipped["equalized_odds_gap"] == 1 and report.answers["equalized_odds_gap"] == 3
    page = (tmp_path / "out" / "similarity.html").read_text()
    assert "# my own work!" in page and "flags, not findings" in page
    rows = list(csv.DictReader(io.StringIO((tmp_path / "out" / "similarity.csv").read_text())))
    row = next(r for r in rows if r["function"] == "equalized_odds_gap")
    assert (row["student_a"], row["student_b"]) == ("alice", "bob") and "labels" in row["answer_b"]
    # why: the statements of their own both wrote in the same place, on the page and in the CSV
    assert "a0 = np.asarray(a0).astype(int)" in row["why"]
    assert "in the same place:<ul><li><code>" in page and "a0 = np.asarray(a0).astype(int)" in page


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


def with_own(text: str, own: dict[int, list[str]]) -> str:
    """``text`` with the lines ``own[k]`` inserted before its ``k``-th top-level statement (1 is the first)."""
    lines, body = text.strip("\n").split("\n"), 0
    out = [lines[0]]
    for line in lines[1:]:
        if not line.startswith("        "):
            body += 1
            out += ["    " + extra for extra in own.get(body, [])]
        out.append(line)
    return "\n".join(out) + "\n"


def test_own_statements_count_in_their_place_and_as_a_share_of_each_answer() -> None:
    # two known answers (their code is no one's own); the students add statements of their own to them
    known = [Source(name, normalise(fn(text)), answer("", text).features)
             for name, text in (("solution", SOLUTION_COPY), ("corpus", DIFFERENT))]
    alice = with_own(SOLUTION_COPY, {2: ["n = len(a)"], 4: ["m = sorted(b)[0]"]})
    class_ = {
        "alice": alice,
        # her copy, renamed, with a statement of its own put next to one of hers
        "bob": with_own(alice.replace("n = len(a)", "n = len(a)\n    k = np.ravel(c)"), {}).replace("out", "res"),
        # a statement carol and dave both thought of, in the same place; dave wrote two more of his own
        "carol": with_own(SOLUTION_COPY, {2: ["w = np.shape(b)"]}),
        "dave": with_own(SOLUTION_COPY, {1: ["z = list(c).copy()"], 2: ["w = np.shape(b)"], 4: ["q = np.size(a)"]}),
        # the same statement first, in answers built on two different known answers
        "erin": with_own(DIFFERENT, {1: ["u = np.unique(group).max()"]}),
        "frank": with_own(SOLUTION_COPY, {1: ["u = np.unique(c).max()"]}),
        # one of alice's own statements, in another place
        "ivy": with_own(SOLUTION_COPY, {1: ["m = sorted(b)[0]"]}),
        "gina": SOLUTION_COPY,
        "hugo": DIFFERENT,
    }
    pairs, _ = similar_pairs([answer(s, text) for s, text in class_.items()], sources=known)
    assert [(p.a.student, p.b.student) for p in pairs] == [("alice", "bob")]
    assert set(pairs[0].shared) == {"v = len(a0)", "v = sorted(a1)[NUM]"}  # why: her own statements, in place


def test_a_renamed_converted_argument_reads_as_the_argument_rebound() -> None:
    """Found in a trial: a copy of the solution that wrote ``labels = np.asarray(y_true)`` where it had
    ``y_true = np.asarray(y_true)`` matched no known source and no one's own code, so it was never listed."""
    rebinds = "def f(y_true, y_pred):\n    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred).astype(int)\n" \
              "    return float(np.mean(y_pred[y_true == 1]))\n"
    renames = "def f(y_true, y_pred):\n    labels, preds = np.asarray(y_true), np.asarray(y_pred).astype(int)\n" \
              "    return float(np.mean(preds[labels == 1]))\n"
    computes = "def f(y_true, y_pred):\n    n, preds = len(y_true), np.asarray(y_pred).astype(int)\n" \
               "    return float(np.mean(preds[n == 1]))\n"
    assert normalise(fn(rebinds)) == normalise(fn(renames))
    assert "v, a1 = (len(a0), " in normalise(fn(computes))  # a value computed from an argument stays a local
