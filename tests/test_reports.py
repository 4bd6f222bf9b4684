"""What the grader's reports say (issue 26): hidden failures reported as hidden on Gradescope and PrairieLearn, a
notebook-scoped bundle grading only its notebooks, answers written as classes or callable objects, the cell limit,
notebooks that lost their metadata or were renamed, and the class report (report.html)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from autograder_support import code_cell, save, set_source, solution, source, strip_metadata, why_no_isolation

from autograder import sandbox
from autograder.grading import StudentGrade, Submission, discover, feedback_text, grade_student
from autograder.items import cases_of, items_of
from autograder.notebook import MAX_CODE_CELLS, build_program, read_notebook
from autograder.platforms import PlatformConfig, grade_submission, gradescope_results, prairielearn_results
from autograder.sandbox import Limits, World

LIMITS = Limits(call_timeout_s=20.0, memory_bytes=768 * 2**20)
FAIRNESS, COVARIANCE = "04_fairness", "03_covariance"

# Right on the visible checks' small inputs, wrong on the hidden checks' larger ones.
SMALL_ONLY = '''
def equalized_odds_gap(y_true, y_pred, group):
    y_true, y_pred, group = np.asarray(y_true), np.asarray(y_pred), np.asarray(group)
    if len(y_true) > 100:
        return 0.0
    gaps = []
    for truth in (1, 0):
        rates = [np.mean(y_pred[(group == g) & (y_true == truth)] == 1) for g in np.unique(group)]
        gaps.append(max(rates) - min(rates))
    return float(max(gaps))
'''


@pytest.fixture(scope="module")
def world() -> Iterator[World]:
    w = World(sandbox.choose_isolation(trusted=True))
    yield w
    w.close()


def grade(world: World, path: Path, whole: bool = False) -> StudentGrade:
    return grade_student(path.parent.name, Submission([path], whole=whole), world, LIMITS)


def by_name(grade: StudentGrade) -> dict:
    return {fg.name: fg for fg in grade.functions}


def test_hidden_failures_are_reported_as_hidden(world: World, tmp_path: Path) -> None:
    nb = set_source(solution(FAIRNESS), "equalized_odds_gap", SMALL_ONLY)
    graded = grade(world, save(nb, tmp_path / "alice" / f"{FAIRNESS}.ipynb"))
    fg = by_name(graded)["equalized_odds_gap"]
    visible = sum(c.visible for c in cases_of("equalized_odds_gap"))
    assert fg.points == 0 and fg.visible_passed == fg.visible_cases == visible
    assert fg.hidden_cases - fg.hidden_passed > 0 and not fg.messages and fg.hidden_messages
    assert "hidden" in feedback_text(graded)

    config = PlatformConfig("gradescope", notebooks=(FAIRNESS,)).validate()
    tests = {t["name"]: t for t in gradescope_results(graded, config)["tests"]}
    entry, hidden = tests[f"{FAIRNESS}: equalized_odds_gap"], tests[f"{FAIRNESS}: equalized_odds_gap (hidden checks)"]
    assert entry["score"] == 0 and entry["status"] == "failed"
    assert f"{visible} of {visible} visible checks passed" in entry["output"], entry["output"]
    assert "hidden checks failed" in entry["output"]
    assert hidden["status"] == "failed" and "All" not in hidden["output"], hidden
    assert tests[f"{FAIRNESS}: demographic_parity_gap (hidden checks)"]["status"] == "passed"

    pl = {t["name"]: t for t in prairielearn_results(graded, config.__class__("prairielearn"))["tests"]}
    entry = pl[f"{FAIRNESS}: equalized_odds_gap"]
    assert f"{visible} of {visible} visible" in entry["message"] and "hidden check" in entry["output"]


@pytest.mark.skipif(why_no_isolation() is not None, reason=f"the bundles refuse to grade here: {why_no_isolation()}")
def test_a_notebook_scoped_bundle_grades_only_its_notebooks(tmp_path: Path) -> None:
    crashing = set_source(solution(COVARIANCE), "covariance_matrix_from_examples",
                          "def covariance_matrix_from_examples(x):\n    import os\n    os._exit(3)\n")
    upload = tmp_path / "upload"
    save(crashing, upload / f"{COVARIANCE}.ipynb")
    save(solution(FAIRNESS), upload / f"{FAIRNESS}.ipynb")
    graded = grade_submission(upload, PlatformConfig("prairielearn", notebooks=(FAIRNESS,)).validate())
    assert graded.files == [f"{FAIRNESS}.ipynb"]
    assert graded.status == "graded" and graded.total == graded.max_total == 3
    assert {fg.notebook for fg in graded.functions} == {FAIRNESS}
    assert sum(fg.total_cases for fg in graded.functions) == sum(len(cases_of(i.name)) for i in items_of(FAIRNESS))
    assert any("not part of this assignment" in p and COVARIANCE in p for p in graded.problems), graded.problems


def test_answers_written_as_a_class_or_a_callable_object_get_their_points(world: World, tmp_path: Path) -> None:
    nb = solution(COVARIANCE)
    ranking = source(nb, "get_top_magnitude_indices").replace("def get_top_magnitude_indices", "def _ranked")
    set_source(nb, "get_top_magnitude_indices", ranking + "\n\nclass _Ranker:\n    def __call__(self, values):\n"
               "        return _ranked(values)\n\n\nget_top_magnitude_indices = _Ranker()\n")
    removal = source(nb, "remove_from_list").replace("def remove_from_list", "def _removed")
    set_source(nb, "remove_from_list", "class remove_from_list:\n    def __new__(cls, values, index_to_remove):\n"
               "        return _removed(values, index_to_remove)\n\n\n" + removal)
    graded = grade(world, save(nb, tmp_path / "bob" / f"{COVARIANCE}.ipynb"))
    assert graded.total == graded.max_total == 5, feedback_text(graded)


def test_a_notebook_over_the_cell_limit_is_told_so(tmp_path: Path) -> None:
    nb = solution(COVARIANCE)
    nb["cells"][0:0] = [code_cell("x = 1") for _ in range(MAX_CODE_CELLS + 5)]
    program = build_program(read_notebook(save(nb, tmp_path / f"{COVARIANCE}.ipynb")), COVARIANCE)
    assert program.missing, "answers past the limit should not be read"
    for why in program.missing.values():
        assert "more cells than the grader reads" in why and str(MAX_CODE_CELLS) in why, why
        assert "no `def" not in why


def test_lost_metadata_is_explained_and_the_check_cells_are_not_run(world: World, tmp_path: Path) -> None:
    nb = strip_metadata(set_source(solution(COVARIANCE), "remove_from_list",
                                   "def remove_from_list(values, index_to_remove):\n    return values\n"))
    for cell in nb["cells"]:  # a setup cell the course changed since (set_course_repository.py): hash unknown
        if "GANBIAS_INSTALL" in "".join(cell["source"]):
            cell["source"] = "".join(cell["source"]).replace("ganbias-course", "another-course")
    path = save(nb, tmp_path / "carol" / f"{COVARIANCE}.ipynb")
    program = build_program(read_notebook(path), COVARIANCE)
    code = "\n".join(unit.source for unit in program.units)
    assert "autograder" not in code and "check(" not in code
    graded = grade(world, path)
    text = feedback_text(graded)
    assert graded.total == 4 and by_name(graded)["remove_from_list"].points == 0, text
    assert "lost the course's cell metadata" in text
    assert "No module named" not in text and "'check' is not defined" not in text, text


def test_a_copy_of_name_is_graded_and_the_nbgrader_difference_noted(world: World, tmp_path: Path) -> None:
    folder = tmp_path / "submitted" / "dave" / "ganbias"
    save(solution(FAIRNESS), folder / f"Copy of {FAIRNESS}.ipynb")
    ((student, sub),) = discover([tmp_path / "submitted"]).items()
    graded = grade_student(student, sub, world, LIMITS)
    assert student == "dave" and sum(fg.points for fg in graded.functions if fg.notebook == FAIRNESS) == 3
    assert any(f"named exactly {FAIRNESS}.ipynb" in p for p in graded.problems), graded.problems
    assert json.loads(json.dumps(graded.to_json()))["functions"][0]["hidden_cases"] >= 0


def test_a_covariance_over_the_wrong_axis_is_told_so_and_the_rest_is_graded(world: World, tmp_path: Path) -> None:
    nb = set_source(solution(COVARIANCE), "covariance_matrix_from_examples",
                    "def covariance_matrix_from_examples(x):\n"
                    "    return np.cov(np.asarray(x).reshape(-1, np.shape(x)[-1]))\n")
    graded = grade(world, save(nb, tmp_path / "erin" / f"{COVARIANCE}.ipynb"))
    fg = by_name(graded)["covariance_matrix_from_examples"]
    assert graded.status == "graded", feedback_text(graded)
    assert fg.total_cases == len(cases_of(fg.name)) and graded.total == 4
    text = " ".join(fg.all_messages)
    assert "between examples, not features" in text and "rowvar=False" in text, text
    assert "too large" not in text and "not run" not in text, text


# ---------------------------------------------------------------- the class report


@pytest.fixture(scope="module")
def fairness_class(corpus_grades: dict, corpus_out: Path) -> tuple[list, dict, Path]:
    """The corpus's answers to notebook 04, each with its grade, from the session's one batch over the corpus (each
    04 answer is another student's), and that batch's folder (report.html)."""
    from corpus_support import load_corpus

    entries = [e for e in load_corpus() if e.function in {i.name for i in items_of(FAIRNESS)}]
    return entries, {e.name: corpus_grades[e.name] for e in entries}, corpus_out


@pytest.mark.slow  # the whole corpus graded (corpus_grades)
def test_the_class_report_counts_what_the_corpus_says(fairness_class: tuple[list, dict, Path]) -> None:
    from autograder.class_report import known_mistakes, summarise

    entries, grades, out = fairness_class
    who = {e.name: grades[e.name].student for e in entries}
    summary = summarise(list(grades.values()))  # each entry's grade: the functions it answers
    for item in items_of(FAIRNESS):
        s = summary[item.name]
        mine = [e for e in entries if item.name in e.points]
        assert len({who[e.name] for e in mine}) == len(mine), "each answer of a function is another student's"
        full = [who[e.name] for e in mine if e.points[item.name] == item.points]
        assert s.students == len(mine) and s.full == len(full), (item.name, s.points)
        for e in mine:
            if not e.message:
                continue
            named = [m for m in known_mistakes(item.name) if e.message in m]
            if named:  # a named mistake: counted under it, with who made it
                assert who[e.name] in s.mistakes[named[0]], (e.name, dict(s.mistakes))
        stubs = [who[e.name] for e in mine if e.kind == "stub"]
        assert set(stubs) <= set(s.kinds["error"]), (stubs, dict(s.kinds))
    page = (out / "report.html").read_text()
    from autograder.items import graded_notebooks

    assert page.count("<img src='data:image/png;base64,") == len(graded_notebooks()), "a figure per notebook"
    assert "alt='04_fairness, students per outcome." in page
    assert "you compared only the first two groups" in page and "<script" not in page.lower()


@pytest.mark.slow  # the whole corpus graded (corpus_grades)
def test_the_class_report_opens_in_chromium(fairness_class: tuple[list, dict, Path], tmp_path: Path) -> None:
    import shutil
    import subprocess

    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        pytest.skip("no chromium here")
    shot = tmp_path / "report.png"
    proc = subprocess.run([browser, "--headless", "--no-sandbox", "--disable-gpu", f"--screenshot={shot}",
                           "--window-size=1200,2400", (fairness_class[2] / "report.html").as_uri()],
                          capture_output=True, text=True, timeout=120)
    assert shot.is_file() and shot.stat().st_size > 20_000, proc.stderr[-2000:]


def test_the_class_report_escapes_ids_and_messages_even_when_not_unicode(tmp_path: Path) -> None:
    from autograder.class_report import write_report
    from autograder.grading import FunctionGrade

    message = "a: b (you compared only the first two groups: compare every group (np.unique)) <script>"
    student = StudentGrade("Zo\udce9<img src=x>", [], [FunctionGrade(FAIRNESS, "demographic_parity_gap", 1.0, 0.0,
                                                                    [message])])
    page = write_report([student], tmp_path).read_text(encoding="utf-8")
    assert "<script>" not in page and "<img src=x>" not in page and "Zo\ufffd&lt;img src=x&gt;" in page
    assert "named: you compared only the first two groups" in page
    assert "written questions" in page and "to grade by hand" in page  # what the report leaves to the instructor


def test_failures_without_a_known_mistake_are_grouped_by_what_the_checks_said() -> None:
    from autograder.class_report import summarise
    from autograder.grading import FunctionGrade

    def student(name: str, positions: int) -> StudentGrade:
        message = f"case {positions}: the projected direction differs from the expected values at {positions} of 320"
        return StudentGrade(name, [], [FunctionGrade("06_mitigation", "project_out", 1.0, 0.0, [message])])

    s = summarise([student("ann", 12), student("ben", 300), student("cy", 7)])["project_out"]
    assert dict(s.said) == {"the projected direction differs from the expected values at N of N": ["ann", "ben", "cy"]}
    assert s.kinds["wrong"] == ["ann", "ben", "cy"] and not s.mistakes


@pytest.mark.parametrize("content", [b'{"cells": [', b"", b"\xff\xfe not text", b"[1, 2]"])
def test_an_unreadable_notebook_is_counted_as_unreadable_not_as_a_wrong_answer(tmp_path: Path, content: bytes) -> None:
    from autograder.class_report import summarise
    from autograder.grading import FunctionGrade
    from autograder.notebook import SubmissionError, read_notebook

    broken = tmp_path / "04_fairness.ipynb"
    broken.write_bytes(content)
    with pytest.raises(SubmissionError) as refused:
        read_notebook(broken)
    grade = StudentGrade("carol", [str(broken)], [FunctionGrade(FAIRNESS, "demographic_parity_gap", 1.0, 0.0,
                                                                [str(refused.value)])])
    s = summarise([grade])["demographic_parity_gap"]
    assert s.kinds["unreadable"] == ["carol"] and "wrong" not in s.kinds, dict(s.kinds)


def test_a_batch_builds_only_the_checks_of_the_notebooks_it_holds(tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """A 04-only batch (a per-notebook bundle) neither waits for nor depends on the steering notebooks' checks, nor
    does its class report."""
    from autograder.grading import grade_batch
    from autograder.items import _hidden_cases, hidden_builders

    def broken(secret: str | None) -> list:
        raise ValueError("a broken builder")

    _hidden_cases.cache_clear()
    monkeypatch.setitem(hidden_builders(), "steering_step", broken)
    try:
        one = save(solution(FAIRNESS), tmp_path / "alice" / f"{FAIRNESS}.ipynb")
        summary = grade_batch([one], tmp_path / "out", jobs=1, progress=False,
                              isolation=sandbox.choose_isolation(trusted=True))
        assert summary.grades[0].total == 3, summary.text()
        assert (tmp_path / "out" / "report.html").is_file()  # nor does its class report
        with pytest.raises(RuntimeError, match="cannot build the checks of steering_step"):
            grade_batch([tmp_path / "alice"], tmp_path / "out-folder", jobs=1, progress=False,
                        isolation=sandbox.choose_isolation(trusted=True))
    finally:
        _hidden_cases.cache_clear()
