"""Shared by the autograder tests and the grading benchmark: notebooks made from the solutions, and a
real nbgrader course directory.

Student-like submissions are derived from the solution notebooks at run time
(answer cells swapped, moved, broken...): no reference answer is pasted here.
"""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
from pathlib import Path

from autograder import sandbox
from autograder.items import ASSIGNMENT, graded_notebooks

REPO = Path(__file__).resolve().parent.parent
SOLUTIONS = REPO / "solutions" / ASSIGNMENT


def default_solutions_dir() -> Path:
    """The solution notebooks of this checkout."""
    return SOLUTIONS
#: The course's own nbgrader settings, with nbgrader's usual folders (source/, release/) for a course directory.
NBGRADER_CONFIG = (REPO / "nbgrader_config.py").read_text() + """
c.CourseDirectory.source_directory = "source"
c.CourseDirectory.release_directory = "release"
"""


def available_notebooks() -> list[str]:
    """Graded notebooks whose solution exists in this checkout."""
    return [nb for nb in graded_notebooks() if (default_solutions_dir() / f"{nb}.ipynb").exists()]


def load(path: Path) -> dict:
    """A notebook as plain JSON."""
    return json.loads(Path(path).read_text(encoding="utf-8"))


def save(nb: dict, path: Path) -> Path:
    """Write a notebook (plain JSON)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(nb, indent=1), encoding="utf-8")
    return path


def solution(notebook: str) -> dict:
    """The solution notebook, as JSON."""
    return load(default_solutions_dir() / f"{notebook}.ipynb")


def cell_index(nb: dict, grade_id: str) -> int:
    """Index of the cell with this nbgrader grade_id."""
    for i, cell in enumerate(nb["cells"]):
        if cell.get("metadata", {}).get("nbgrader", {}).get("grade_id") == grade_id:
            return i
    raise KeyError(grade_id)


def source(nb: dict, grade_id: str) -> str:
    """Source of the cell with this grade_id."""
    src = nb["cells"][cell_index(nb, grade_id)]["source"]
    return "".join(src) if isinstance(src, list) else src


def set_source(nb: dict, grade_id: str, text: str) -> dict:
    """Replace the source of the cell with this grade_id (in place; returns nb)."""
    nb["cells"][cell_index(nb, grade_id)]["source"] = text
    return nb


def fill(release: dict, solved: dict, grade_ids: list[str]) -> dict:
    """A copy of ``release`` with the answer cells ``grade_ids`` taken from ``solved``."""
    nb = copy.deepcopy(release)
    for gid in grade_ids:
        set_source(nb, gid, source(solved, gid))
    return nb


def strip_metadata(nb: dict) -> dict:
    """A copy without any nbgrader metadata (what Colab or VS Code may save)."""
    nb = copy.deepcopy(nb)
    for cell in nb["cells"]:
        cell.get("metadata", {}).pop("nbgrader", None)
    nb.get("metadata", {}).pop("nbgrader", None)
    return nb


def code_cell(text: str) -> dict:
    """A plain code cell without nbgrader metadata."""
    return {"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [], "source": text}


def nbgrader(course: Path, *args: str, timeout: float = 1200) -> subprocess.CompletedProcess:
    """Run ``nbgrader ARGS`` in the course folder (raises with its output on failure)."""
    path = os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])
    env = dict(os.environ, OMP_NUM_THREADS="1", MPLBACKEND="Agg", PATH=path)
    proc = subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=course, env=env, capture_output=True,
                          text=True, timeout=timeout)
    if proc.returncode != 0:
        raise RuntimeError(f"nbgrader {' '.join(args)} failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
    return proc


def make_course(root: Path, notebooks: list[str]) -> Path:
    """A real nbgrader course (sqlite gradebook) with ``notebooks`` of the solutions, released.

    Returns the course folder; the student notebooks are in ``release/ganbias``.
    """
    course = root / "course"
    (course / "source" / ASSIGNMENT).mkdir(parents=True)
    (course / "nbgrader_config.py").write_text(NBGRADER_CONFIG)
    for nb in notebooks:
        (course / "source" / ASSIGNMENT / f"{nb}.ipynb").write_bytes(
            (default_solutions_dir() / f"{nb}.ipynb").read_bytes())
    nbgrader(course, "generate_assignment", ASSIGNMENT, "--force")
    return course


def submit(course: Path, student: str, notebooks: dict[str, dict]) -> Path:
    """Place a student's notebooks where ``nbgrader autograde`` looks for them."""
    folder = course / "submitted" / student / ASSIGNMENT
    for name, nb in notebooks.items():
        save(nb, folder / f"{name}.ipynb")
    return folder


def nbgrader_scores(course: Path, notebooks: list[str], students: list[str]) -> dict[tuple[str, str], float]:
    """(student, notebook) -> the score nbgrader's gradebook holds after autograde."""
    from nbgrader.api import Gradebook

    scores = {}
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        for student in students:
            for nb in notebooks:
                scores[(student, nb)] = float(gb.find_submission_notebook(nb, ASSIGNMENT, student).score)
    return scores


def trusted_flag() -> list[str]:
    """``["--trusted-submissions"]`` where bubblewrap cannot run here, for tests that grade the course's own answers.

    Their subject is not the sandbox (tests/test_hostile.py is); without bubblewrap, the grader would rightly
    refuse unknown code, so these tests vouch for theirs.
    """
    return [] if sandbox.bubblewrap_works() is None else ["--trusted-submissions"]


def why_no_isolation() -> str | None:
    """Why ``ganbias grade`` would refuse untrusted code here (no bubblewrap, no usable 'nobody'), or None."""
    try:
        sandbox.choose_isolation()
    except sandbox.IsolationError as error:
        return str(error)
    return None


def why_delegating_answers_cannot_be_caught() -> str | None:
    """Why a delegating answer would pass here (no bubblewrap hides the package's reference code), or None."""
    why = sandbox.bubblewrap_works()
    if why is None:
        return None
    return f"only bubblewrap hides the package's reference code from a delegating answer: {why}"
