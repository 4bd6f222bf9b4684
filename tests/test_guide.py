"""The README's instructor guide works as written, and its quickstart table is what `ganbias demo` prints.

The nbgrader steps of the guide are read from the README and run as they are, on two synthetic students
(one notebook, GANBIAS_EXPERIMENT_SIZE=8,2), after `ganbias grade` on the same submissions.
"""

from __future__ import annotations

import csv
import io
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from autograder_support import REPO, make_course, nbgrader, nbgrader_scores, set_source, solution, submit, trusted_flag

README = (REPO / "README.md").read_text(encoding="utf-8")
GUIDE = README.split("## Instructor guide", 1)[1].split("\n## ", 1)[0]
NOTEBOOK = "04_fairness"


def code_blocks(text: str) -> list[str]:
    return re.findall(r"```(?:bash)?\n(.*?)```", text, re.S)


def commands(prefix: str) -> list[str]:
    """The guide's command lines that start with ``prefix``, comments dropped."""
    return [line.split("  #", 1)[0].strip() for block in code_blocks(GUIDE) for line in block.splitlines()
            if line.strip().startswith(prefix)]


def test_the_guide_says_once_how_its_commands_find_the_venv() -> None:
    assert "source .venv/bin/activate" in GUIDE
    bare = [c for c in commands("") if c and c.split()[0] in ("python", "ganbias", "nbgrader", "pytest")]
    assert bare, "the guide's commands"
    assert not [c for c in commands("") if c.startswith(".venv/bin/")], "one way to reach the venv, not two"


def test_the_commit_list_and_the_exports_are_right() -> None:
    assert "autograder/course_cells.json" in GUIDE.split("2. **Edit only", 1)[0]
    exports = [c for c in code_blocks(README) for c in c.splitlines() if c.startswith("ganbias export gradescope")]
    outs = [re.search(r"--out (\S+)", c).group(1) for c in exports]
    assert len(outs) >= 2 and len(set(outs)) == len(outs), outs


def test_the_badges_the_guide_names_are_printed_by_the_script() -> None:
    assert "--badges" in GUIDE
    proc = subprocess.run([sys.executable, str(REPO / "scripts" / "set_course_repository.py"), "--badges"],
                          capture_output=True, text=True, timeout=60, cwd=REPO)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.count("colab.research.google.com") >= 6, proc.stdout


@pytest.mark.slow  # runs ganbias demo at its defaults
def test_the_quickstart_table_is_what_the_demo_prints() -> None:
    proc = subprocess.run([sys.executable, str(REPO / "scripts" / "readme_demo_table.py"), "--check"],
                          capture_output=True, text=True, timeout=900, cwd=REPO)
    assert proc.returncode == 0, proc.stdout + proc.stderr


@pytest.mark.slow  # nbgrader's own autograde beside ganbias grade
def test_grading_as_the_guide_says_with_both_tools(tmp_path: Path) -> None:
    course = make_course(tmp_path, [NOTEBOOK])
    right = solution(NOTEBOOK)
    wrong = set_source(solution(NOTEBOOK), "equalized_odds_gap",
                       "def equalized_odds_gap(y_true, y_pred, group):\n    return 0.0\n")
    for student, nb in (("alice", right), ("bob", wrong)):
        submit(course, student, {NOTEBOOK: nb})
    env = dict(os.environ, GANBIAS_EXPERIMENT_SIZE="8,2")

    grade = commands("ganbias grade")[0].split()
    proc = subprocess.run([sys.executable, "-m", "autograder", *grade[1:], "--no-progress", *trusted_flag()],
                          cwd=course, env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    rows = {r["student"]: r for r in csv.DictReader(io.StringIO((course / "grades" / "grades.csv").read_text()))}
    assert (rows["alice"]["total"], rows["bob"]["total"]) == ("3", "2")
    assert (course / "grades" / "report.html").is_file() and (course / "grades" / "feedback" / "bob.txt").is_file()

    steps = commands("nbgrader")
    assert steps[0] == "nbgrader generate_assignment ganbias --force", steps
    assert steps.index("nbgrader db student add alice") < steps.index("nbgrader autograde ganbias")
    old = os.environ.get("GANBIAS_EXPERIMENT_SIZE")
    os.environ["GANBIAS_EXPERIMENT_SIZE"] = "8,2"
    try:
        for step in steps:
            for student in (("alice", "bob") if "student add" in step else ("alice",)):
                nbgrader(course, *step.replace("alice", student).split()[1:])
    finally:
        if old is None:
            os.environ.pop("GANBIAS_EXPERIMENT_SIZE")
        else:
            os.environ["GANBIAS_EXPERIMENT_SIZE"] = old
    scores = nbgrader_scores(course, [NOTEBOOK], ["alice", "bob"])
    assert scores == {("alice", NOTEBOOK): 3.0, ("bob", NOTEBOOK): 2.0}
    assert (course / "feedback" / "bob" / "ganbias" / f"{NOTEBOOK}.html").is_file()


@pytest.mark.parametrize("line", commands("nbgrader"))
def test_every_nbgrader_step_is_a_real_nbgrader_command(line: str) -> None:
    words = line.split()[1:]
    sub = words[:2] if words[0] == "db" else words[:1]
    proc = subprocess.run([sys.executable, "-m", "nbgrader", *sub, "--help"], capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
