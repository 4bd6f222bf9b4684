"""Written questions graded by hand (autograder/manual.py): listed, said to be pending, hand scores merged."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from autograder.cli import main
from autograder.grading import FunctionGrade, StudentGrade, feedback_text, gradescope_json, write_csv
from autograder.manual import (
    COLUMNS,
    apply_manual_scores,
    manual_points,
    manual_questions,
    pending_note,
    questions_from_notebooks,
    read_manual_scores,
)
from autograder.platforms import PlatformConfig, gradescope_results, prairielearn_results

ROOT = Path(__file__).resolve().parents[1]


def grade(student: str, notebook: str = "04_fairness") -> StudentGrade:
    return StudentGrade(student, [f"{notebook}.ipynb"], [FunctionGrade(notebook, "demographic_parity_gap", 1.0, 1.0)])


def rows(path: Path) -> dict[str, dict[str, str]]:
    return {r["student"]: r for r in csv.DictReader(io.StringIO(path.read_text(encoding="utf-8")))}


def test_the_shipped_list_is_the_solutions_own() -> None:
    assert list(manual_questions()) == questions_from_notebooks(ROOT / "solutions" / "ganbias")
    assert {q.notebook for q in manual_questions()} == {"02_steering", "03_covariance", "04_fairness",
                                                       "05_sources_of_bias", "06_mitigation"}
    assert manual_points(["04_fairness"]) == sum(q.points for q in manual_questions() if q.notebook == "04_fairness")


def test_feedback_and_results_say_the_score_is_the_autograded_part() -> None:
    g = grade("ada")
    note = pending_note(["04_fairness"])
    assert "autograded part only" in note and f"{manual_points(['04_fairness']):g} points" in note
    assert note in feedback_text(g)
    assert note in gradescope_json(g)["output"]
    assert note in gradescope_results(g, PlatformConfig("gradescope", version="test").validate())["output"]
    config = PlatformConfig("prairielearn", notebooks=("04_fairness",), version="test").validate()
    assert note in prairielearn_results(g, config)["output"]
    assert pending_note([]) == ""


def write_scores(path: Path, lines: list[str]) -> Path:
    path.write_text("student,question,points\n" + "\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_hand_scores_are_checked_line_by_line(tmp_path: Path) -> None:
    q = next(q for q in manual_questions() if q.notebook == "04_fairness")
    good = read_manual_scores(write_scores(tmp_path / "ok.csv", [f"ada,{q.grade_id},{q.points:g}"]))
    assert good == {"ada": {q.grade_id: q.points}}
    for lines, message in [([f"ada,{q.grade_id},{q.points + 1:g}"], "worth 0 to"),
                           (["ada,no_such_question,1"], "unknown question"),
                           ([f"ada,{q.grade_id},two"], "must be a number"),
                           ([f"ada,{q.grade_id},1", f"ada,{q.grade_id},1"], "line 3: ada has a score"),
                           ([f",{q.grade_id},1"], "no student")]:
        with pytest.raises(ValueError, match=message):
            read_manual_scores(write_scores(tmp_path / "bad.csv", lines))
    (tmp_path / "cols.csv").write_text("student,points\nada,1\n", encoding="utf-8")
    with pytest.raises(ValueError, match="missing: question"):
        read_manual_scores(tmp_path / "cols.csv")


def test_grades_csv_lists_what_is_left_and_merges_hand_scores(tmp_path: Path) -> None:
    grades = [grade("ada"), grade("bob"), StudentGrade("zoe", [], [], status="refused")]
    write_csv(tmp_path / "grades.csv", grades)
    due = manual_points(["04_fairness"])
    apply_manual_scores(tmp_path, grades)
    table = rows(tmp_path / "grades.csv")
    assert table["ada"]["to grade by hand"] == f"{due:g}" and table["ada"]["hand-graded"] == "0"
    assert table["zoe"]["to grade by hand"] == "0"  # nothing handed in, nothing to grade
    q = next(q for q in manual_questions() if q.notebook == "04_fairness")
    for _ in range(2):  # a rerun replaces the columns, never adds more
        lines = apply_manual_scores(tmp_path, grades, {"ada": {q.grade_id: 1.5}, "nobody": {q.grade_id: 1}})
    table = rows(tmp_path / "grades.csv")
    assert table["ada"]["hand-graded"] == "1.5" and table["ada"]["to grade by hand"] == f"{due - q.points:g}"
    assert table["ada"]["total with hand-graded"] == "2.5" and table["ada"]["total"] == "1"
    header = (tmp_path / "grades.csv").read_text(encoding="utf-8").splitlines()[0].split(",")
    assert all(header.count(c) == 1 for c in COLUMNS)
    assert any("nobody" in line for line in lines)


def test_hand_scores_reach_the_student_s_feedback(tmp_path: Path) -> None:
    from autograder.grading import feedback_text

    grades = [grade("ada"), grade("bob")]
    write_csv(tmp_path / "grades.csv", grades)
    (tmp_path / "feedback").mkdir()
    for g in grades:
        (tmp_path / "feedback" / f"{g.student}.txt").write_text(feedback_text(g), encoding="utf-8")
    q = next(q for q in manual_questions() if q.notebook == "04_fairness")
    for _ in range(2):  # a rerun replaces the part, never adds another
        apply_manual_scores(tmp_path, grades, {"ada": {q.grade_id: 1.5}})
    ada = (tmp_path / "feedback" / "ada.txt").read_text(encoding="utf-8")
    assert ada.startswith(feedback_text(grades[0]).rstrip("\n")), ada
    assert ada.count("Written questions, graded by hand: 1.5 points; with the autograded 1, your total is 2.5.") == 1
    assert f"{q.grade_id}: 1.5/{q.points:g}" in ada
    assert (tmp_path / "feedback" / "bob.txt").read_text(encoding="utf-8") == feedback_text(grades[1])


def test_a_bad_hand_scores_file_stops_grade_before_anything_runs(tmp_path: Path, capsys) -> None:
    bad = write_scores(tmp_path / "bad.csv", ["ada,no_such_question,1"])
    code = main(["grade", str(tmp_path), "--out", str(tmp_path / "out"), "--manual-scores", str(bad)])
    assert code == 2 and "unknown question" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_the_readme_states_the_written_questions_points() -> None:
    import re

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    stated = re.search(r"\*\*Written questions\*\* add (\d+) points graded by hand", readme)
    assert stated and float(stated.group(1)) == sum(q.points for q in manual_questions())
    assert re.search(r"(?s)eight in all", readme) and len(manual_questions()) == 8
