"""Late penalties from nbgrader's timestamp.txt and the Canvas gradebook CSV (autograder/lms.py)."""

from __future__ import annotations

import csv
import io
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from autograder_support import save, set_source, solution, trusted_flag

from autograder.grading import FunctionGrade, StudentGrade, feedback_text, file_id, write_csv
from autograder.lms import (
    CANVAS_COLUMNS,
    LATE_MARK,
    LatePolicy,
    after_batch,
    parse_time,
    read_roster,
    write_canvas,
)

DUE = "2026-12-01T23:59"
ROSTER = """Student,ID,SIS User ID,SIS Login ID,Section,GAN bias (4242)
    Points Possible,,,,,15
"Lovelace, Ada",101,S101,ada@uni.example,A
"Turing, Alan",102,S102,aturing,B
"Hopper, Grace",103,S103,grace@uni.example,A
"Student, Test",999,,,A
"""


def read_csv(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))


def test_parse_time_reads_nbgrader_and_iso() -> None:
    want = datetime(2026, 12, 1, 20, 30, 14, 123456, tzinfo=UTC)
    assert parse_time("2026-12-01 20:30:14.123456 UTC") == want
    assert parse_time("2026-12-01T20:30:14.123456Z") == want
    assert parse_time("2026-12-01 21:30:14.123456 +0100") == want
    assert parse_time("2026-12-01 21:30:14.123456 Europe/Paris") == want
    assert parse_time("2026-12-01 15:30:14.123456", "America/New_York") == want
    with pytest.raises(ValueError):
        parse_time("yesterday")


def test_late_policy() -> None:
    policy = LatePolicy(parse_time(DUE), percent_per_day=10, cap_percent=25, grace=timedelta(minutes=5))
    due = policy.due
    assert policy.penalty(None) == (0.0, 0.0)
    assert policy.penalty(due - timedelta(hours=1))[1] == 0
    assert policy.penalty(due + timedelta(minutes=4))[1] == 0  # grace
    assert policy.penalty(due + timedelta(minutes=6))[1] == 10  # a part of a day is a day
    assert policy.penalty(due + timedelta(days=1, minutes=1))[1] == 20
    assert policy.penalty(due + timedelta(days=9))[1] == 25  # cap


def grade(student: str, points: float, files: list[str]) -> StudentGrade:
    return StudentGrade(student, files, [
        FunctionGrade("04_fairness", "demographic_parity_gap", 1.0, min(points, 1)),
        FunctionGrade("04_fairness", "equalized_odds_gap", 1.0, max(points - 1, 0))])


def batch(tmp_path: Path, stamps: dict[str, str | None]) -> tuple[Path, Path, list[StudentGrade]]:
    """A submitted/ folder in nbgrader's layout and an --out folder as grade_batch leaves it."""
    submitted, out = tmp_path / "submitted", tmp_path / "grades"
    grades = []
    for student, stamp in stamps.items():
        folder = submitted / student / "ganbias"
        folder.mkdir(parents=True)
        (folder / "04_fairness.ipynb").write_text("{}")
        if stamp is not None:
            (folder / "timestamp.txt").write_text(stamp)
        grades.append(grade(student, 2, [str(folder / "04_fairness.ipynb")]))
    (out / "feedback").mkdir(parents=True)
    write_csv(out / "grades.csv", grades)
    for g in grades:
        (out / "feedback" / f"{file_id(g.student)}.txt").write_text(feedback_text(g))
    return submitted, out, grades


def test_late_columns_and_feedback(tmp_path: Path) -> None:
    submitted, out, grades = batch(tmp_path, {
        "ada": "2026-12-01 22:00:00.000000 UTC",  # on time
        "aturing": "2026-12-03 00:30:00.000000 UTC",  # 1 day 31 min late: 2 days
        "grace": None,  # no timestamp
        "bob": "not a time"})
    for _ in range(2):  # a rerun replaces the columns and the note, never adds another
        lines = after_batch([submitted], out, grades, due=DUE, percent_per_day=10)
    rows = {r["student"]: r for r in read_csv(out / "grades.csv")}
    assert rows["ada"]["late_penalty_pct"] == "0" and rows["ada"]["final_total"] == "2"
    assert rows["aturing"]["late_penalty_pct"] == "20" and rows["aturing"]["final_total"] == "1.6"
    assert float(rows["aturing"]["late_hours"]) == pytest.approx(24 + 31 / 60, abs=0.01)
    assert rows["grace"]["submitted"] == "" and rows["grace"]["final_total"] == "2"
    assert rows["aturing"]["total"] == "2"  # the grade itself is untouched
    assert list(rows["ada"]).count("final_total") == 1
    feedback = (out / "feedback" / "aturing.txt").read_text()
    assert feedback.count(LATE_MARK) == 1 and "1 d 31 min after the due date" in feedback
    assert "Total after the penalty: 1.6 / 2" in feedback
    assert "taken as on time" in (out / "feedback" / "grace.txt").read_text()
    assert "unreadable" in (out / "feedback" / "bob.txt").read_text()
    assert "1 penalised (aturing)" in lines[0]


def test_the_timestamp_is_nbgraders_and_read_bounded(tmp_path: Path) -> None:
    """Only the submission's folder and its assignment folder are looked at; at most TIMESTAMP_BYTES are read."""
    from autograder.lms import TIMESTAMP_BYTES, find_timestamp, read_timestamp

    submitted = tmp_path / "submitted"
    sub = submitted / "alice" / "ganbias" / "sub"
    sub.mkdir(parents=True)
    notebook = sub / "04_fairness.ipynb"
    notebook.write_text("{}")
    (sub / "timestamp.txt").write_text("2026-11-30 10:00:00 UTC")  # the student's own, in a subfolder
    assert find_timestamp([notebook], [submitted]) is None
    stamp = submitted / "alice" / "ganbias" / "timestamp.txt"
    stamp.write_text("2026-12-05 10:00:00.000000 UTC")
    assert find_timestamp([notebook], [submitted]) == stamp
    assert find_timestamp([notebook], [submitted / "alice"]) == stamp
    os.truncate(stamp, 2**30)  # a sparse gigabyte
    assert len(read_timestamp(stamp)) == TIMESTAMP_BYTES


def test_canvas_gradebook(tmp_path: Path) -> None:
    submitted, out, grades = batch(tmp_path, {
        "ADA": "2026-12-01 22:00:00 UTC",  # login's part before @, any case
        "S102": "2026-12-02 10:00:00 UTC",  # SIS user id; late: 10%
        "mallory": None})  # on no roster
    (tmp_path / "roster.csv").write_text(ROSTER)
    lines = after_batch([submitted], out, grades, due=DUE, canvas=str(tmp_path / "roster.csv"),
                        assignment="GAN bias (4242)")
    text = (out / "canvas.csv").read_text()
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == [*CANVAS_COLUMNS, "GAN bias (4242)"]
    assert rows[1][0].strip() == "Points Possible" and rows[1][-1] == "2"
    by_name = {r[0]: r for r in rows[2:]}
    assert by_name["Lovelace, Ada"][1:] == ["101", "S101", "ada@uni.example", "A", "2"]
    assert by_name["Turing, Alan"][-1] == "1.8"
    assert by_name["Hopper, Grace"][-1] == ""  # no submission: left blank (Canvas keeps what it has)
    assert "Student, Test" not in by_name
    unmatched = read_csv(out / "canvas_unmatched.csv")
    assert {(r["kind"], r["who"]) for r in unmatched} == {("submission without a roster match", "mallory"),
                                                        ("roster student without a submission", "Hopper, Grace")}
    assert any("mallory" in line for line in lines)


def test_roster_must_be_a_canvas_export(tmp_path: Path) -> None:
    (tmp_path / "r.csv").write_text("name,email\nx,y\n")
    with pytest.raises(ValueError, match="Canvas gradebook export"):
        read_roster(tmp_path / "r.csv")
    (tmp_path / "ok.csv").write_text(ROSTER)
    assert [s["Student"] for s in read_roster(tmp_path / "ok.csv")] == ["Lovelace, Ada", "Turing, Alan",
                                                                       "Hopper, Grace"]
    report = write_canvas(tmp_path / "ok.csv", tmp_path / "o", [grade("103", 1, []), grade("s103", 2, [])], "A")
    assert list(report.matched) == ["103"] and report.unmatched_submissions == ["s103"]  # one row, one score


@pytest.mark.slow  # the ganbias command end to end, in a process of its own (the grader's start-up)
def test_ganbias_grade_with_due_date_and_canvas(tmp_path: Path) -> None:
    """The whole path through `ganbias grade`: a real grade, a late penalty and a Canvas row."""
    submitted = tmp_path / "submitted"
    nb = solution("04_fairness")
    save(nb, submitted / "aturing" / "ganbias" / "04_fairness.ipynb")
    (submitted / "aturing" / "ganbias" / "timestamp.txt").write_text("2026-12-02 12:00:00.000000 UTC")
    set_source(nb, "equalized_odds_gap", "def equalized_odds_gap(y_true, y_pred, group):\n    return 0.0\n")
    save(nb, submitted / "ada" / "ganbias" / "04_fairness.ipynb")
    (submitted / "ada" / "ganbias" / "timestamp.txt").write_text("2026-12-01 12:00:00.000000 UTC")
    (tmp_path / "roster.csv").write_text(ROSTER)
    out = tmp_path / "grades"
    # These two answers are the course's own; where this machine cannot isolate code, trust them.
    trusted = trusted_flag()
    proc = subprocess.run([sys.executable, "-m", "autograder", "grade", str(submitted), "--out", str(out),
                           "--no-progress", "--due", DUE, "--late-penalty", "25", "--canvas",
                           str(tmp_path / "roster.csv"), "--canvas-assignment", "GAN bias (4242)", *trusted],
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    rows = {r["student"]: r for r in read_csv(out / "grades.csv")}
    assert rows["aturing"]["total"] == "3" and rows["aturing"]["final_total"] == "2.25"
    assert rows["ada"]["total"] == "2" and rows["ada"]["final_total"] == "2"
    canvas = {r["Student"]: r for r in read_csv(out / "canvas.csv")}
    assert canvas["Turing, Alan"]["GAN bias (4242)"] == "2.25" and canvas["Lovelace, Ada"]["GAN bias (4242)"] == "2"
    assert "25% of the points taken" in (out / "feedback" / "aturing.txt").read_text()
    assert "Hopper, Grace" in proc.stdout
    bad = subprocess.run([sys.executable, "-m", "autograder", "grade", str(submitted), "--out", str(out),
                          "--due", "soon"], capture_output=True, text=True, timeout=600)
    assert bad.returncode == 2 and "not a date" in bad.stderr
