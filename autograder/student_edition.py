"""``ganbias export student --out DIR``: the student edition, a folder to publish as its own public repository.

What students install and open, and nothing else: the course package (models, shipped
weights, helpers, plots and the visible checks, :mod:`ganbias_helpers.checks`), the release
notebooks (``notebooks/ganbias/``, from ``make notebooks``), a student README (JupyterLab
and Colab set-up, how to submit), a ``pyproject.toml`` for the student distribution, and
the wheel built from it (``dist/``), which the notebooks' setup cell installs on Colab by
its raw GitHub address (``course.toml``'s ``[student]`` table).

Left out: the grader (``autograder``: hidden cases, the course secret, the sandbox, the
exports), ``solutions/``, ``training_state/``, the tests and benchmarks. Before it
finishes, the export reads back every file it wrote and the wheel, and refuses (removing
nothing you had, writing no wheel) if one holds a solution or hidden-test block, a call of
the hidden checks or an import of the grader.

Run it again into the same folder (a clone of the student repository, ``.git`` kept) to
update the edition; a folder that is neither empty nor an earlier edition is refused.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import tomllib
import zipfile
from dataclasses import dataclass
from pathlib import Path

#: The instructor repository (this package's checkout).
ROOT = Path(__file__).resolve().parents[1]
#: The packages of the student distribution.
STUDENT_PACKAGES = ("ganbias_helpers", "ganbias_helpers.checks", "ganbias_helpers.weights")
#: Written into the edition, so that a later export may replace it.
MARKER = ".ganbias-student-edition"
#: What no file of the student edition may contain (a solution, a hidden test, the grader).
FORBIDDEN = (
    ("### BEGIN SOLUTION", "a solution block"),
    ("### BEGIN HIDDEN TESTS", "a hidden-test block"),
    ("check_hidden(", "a call of the hidden checks"),
    ("from autograder", "an import of the grader"),
    ("import autograder", "an import of the grader"),
)
#: Folders and files never copied from the package.
_SKIP = shutil.ignore_patterns("__pycache__", "*.pyc", "*.pyo", ".*")


class StudentEditionError(ValueError):
    """The student edition cannot be written (or would hold something it must not)."""


@dataclass
class StudentEdition:
    """What :func:`export_student` wrote.

    Attributes:
        folder: The edition's folder.
        wheel: The wheel students install (``folder/dist/*.whl``).
        files: Files written (the wheel included).
    """

    folder: Path
    wheel: Path
    files: int


def _course_script():  # noqa: ANN202 (the scripts/set_course_repository.py module)
    path = ROOT / "scripts" / "set_course_repository.py"
    spec = importlib.util.spec_from_file_location("set_course_repository", path)
    if spec is None or spec.loader is None or not path.is_file():
        raise StudentEditionError(f"{path} is missing: export the student edition from the instructor repository")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _toml_list(values: list[str]) -> str:
    return "[\n" + "".join(f"    {json.dumps(v)},\n" for v in values) + "]"


def student_pyproject(project: dict, package_data: dict[str, list[str]]) -> str:
    """The student distribution's ``pyproject.toml``: the instructor's project, the grader left out."""
    extras = project.get("optional-dependencies", {})
    course = extras.get("course", [])
    data = "".join(f"{json.dumps(k)} = {json.dumps(v)}\n" for k, v in package_data.items()
                   if k.split(".")[0] == "ganbias_helpers")
    return f"""# The student edition of the course package (written by `ganbias export student`; do not edit here).
[build-system]
requires = ["setuptools>=77"]
build-backend = "setuptools.build_meta"

[project]
name = {json.dumps(project["name"])}
version = {json.dumps(project["version"])}
description = "Student edition: finding bias in a GAN with a classifier (models, weights, helpers, visible checks)"
readme = "README.md"
requires-python = {json.dumps(project["requires-python"])}
license = {json.dumps(project["license"])}
dependencies = {_toml_list(project["dependencies"])}

[project.optional-dependencies]
course = {_toml_list(course)}

[project.scripts]
ganbias = "ganbias_helpers.cli:main"

[tool.setuptools]
packages = {json.dumps(list(STUDENT_PACKAGES))}

[tool.setuptools.package-data]
{data}"""


STUDENT_README = """\
# Finding bias in a GAN with a classifier: the notebooks

You steer a face generator (a DCGAN trained on CelebA) toward an attribute such as
"Male", watch how a 40-attribute classifier's view of the faces changes, rank the
attributes that change along with it, and then measure fairness, find where bias enters
a model, and hold an attribute fixed while steering. Six notebooks; each runs on a laptop
CPU (a GPU is used when there is one).

| notebook | Colab |
| --- | --- |
{table}

## On Colab

Click a notebook's badge, then *Runtime > Run all* or run the cells one by one. The first
code cell installs the course package (the wheel in this repository's `dist/`, with the
shipped models; once per Colab session) and prints where the models run. Save a copy to
your Drive (*File > Save a copy in Drive*) before you work.

## On your own machine (JupyterLab)

With Python 3.11 or later:

```bash
python3 -m venv .venv
.venv/bin/pip install {wheel} jupyterlab ipykernel
.venv/bin/jupyter lab notebooks/ganbias/
```

(`pip install -e ".[course]"` in this folder does the same from the sources.)

## Working through a notebook

- Run the setup cell first; it imports everything the notebook needs.
- Exercise cells say `# YOUR CODE HERE` and raise `NotImplementedError` until you answer
  them. *Run All* stops at the first unanswered exercise: answer it, then run on from there.
- Each exercise is followed by a check cell, `check("function_name")`. It tries your
  function on a few examples, prints `ok` or `WRONG` with what to fix for each, and names
  common mistakes. Your grade also uses hidden checks with other inputs, which only your
  instructor has, so make the function right, not just the examples.
- Write the computation yourself. numpy, torch, pandas and fairlearn are yours to use; an
  answer that calls the course package's own implementation of the graded computation
  (`ganbias_helpers.reference`, or a helper built on it such as `steer`,
  `gaps_with_intervals` or `hold_tradeoff`, or the pieces the checks and helpers are built
  of, such as `ganbias_helpers.checks.nb04_fairness._rates`) earns no points for that
  function, and the feedback says so.
- Do not rename the graded functions or change their arguments. Helper functions of your
  own are fine.

## How to hand in

1. *Kernel > Restart Kernel and Run All Cells* (on Colab: *Runtime > Restart session and
   run all*): the notebook must run from top to bottom.
2. Save the notebook and hand in the `.ipynb` file itself, as your instructor asks (for
   example on Gradescope, on PrairieLearn, or through nbgrader's *Assignments* tab). On
   Colab: *File > Download > Download .ipynb*. Any file name works; keep the graded
   functions' names.

## Licence and data

Code: MIT. The shipped weights were trained on CelebA, which is for non-commercial
research only (`ganbias_helpers/weights/MODEL_CARD.md`); no CelebA image is in here.
"""

GITIGNORE = """\
.venv/
__pycache__/
*.egg-info/
build/
.ipynb_checkpoints/
my_classifier/
"""


def _clear(folder: Path) -> None:
    """Empty ``folder`` for a new edition: allowed when it is empty or holds an earlier one (``.git`` is kept)."""
    if not folder.exists():
        folder.mkdir(parents=True)
        return
    if not folder.is_dir():
        raise StudentEditionError(f"{folder} is not a folder")
    entries = [p for p in folder.iterdir() if p.name != ".git"]
    if entries and not (folder / MARKER).is_file():
        raise StudentEditionError(f"{folder} is not empty and holds no earlier student edition ({MARKER}): "
                                  "give an empty folder or a clone of your student repository")
    for path in entries:
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        else:
            path.unlink()


def forbidden_in(name: str, text: str) -> list[str]:
    """What ``text`` (from the file ``name``) holds that the student edition must not."""
    return [f"{name}: {why} ({marker!r})" for marker, why in FORBIDDEN if marker in text]


def audit(folder: Path, wheel: Path | None = None) -> list[str]:
    """Every problem with a student edition: forbidden contents in its files or its wheel, grader files."""
    problems = []
    for path in sorted(folder.rglob("*")):
        rel = path.relative_to(folder)
        if ".git" in rel.parts or not path.is_file() or path.suffix in (".whl", ".pth", ".npz", ".png"):
            continue
        if rel.parts[0] in ("autograder", "solutions", "training_state", "tests"):
            problems.append(f"{rel}: the grader's or the instructor's files")
        problems += forbidden_in(str(rel), path.read_text(encoding="utf-8", errors="replace"))
    if wheel is not None:
        with zipfile.ZipFile(wheel) as archive:
            for name in archive.namelist():
                if name.split("/")[0] in ("autograder", "solutions", "training_state", "tests"):
                    problems.append(f"{wheel.name}:{name}: the grader's or the instructor's files")
                elif name.endswith((".py", ".txt", ".md", ".json", "METADATA")):
                    problems += forbidden_in(f"{wheel.name}:{name}", archive.read(name).decode("utf-8", "replace"))
    return problems


def build_student_wheel(folder: Path) -> Path:
    """Build the student distribution's wheel into ``folder/dist`` (offline, with this Python's setuptools).

    Raises:
        StudentEditionError: If the build fails.
    """
    dist = folder / "dist"
    build = subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
                            "--wheel-dir", str(dist), str(folder)], capture_output=True, text=True,
                           env={**os.environ, "PIP_DISABLE_PIP_VERSION_CHECK": "1"}, timeout=600)
    for leftover in [folder / "build", *folder.glob("*.egg-info")]:  # setuptools builds in the tree
        shutil.rmtree(leftover, ignore_errors=True)
    wheels = sorted(dist.glob("*.whl"))
    if build.returncode != 0 or len(wheels) != 1:
        raise StudentEditionError(f"building the student wheel failed:\n{build.stderr[-2000:]}")
    return wheels[0]


def export_student(out: str | os.PathLike) -> StudentEdition:
    """Write the student edition into ``out`` and build its wheel (see the module docstring).

    Raises:
        StudentEditionError: If ``out`` holds something else, the release notebooks are missing, or the
            edition would hold a solution, a hidden test or the grader.
    """
    import ganbias_helpers

    course = _course_script()
    config = course.read_config()
    release = ROOT / "notebooks" / "ganbias"
    notebooks = sorted(release.glob("*.ipynb"))
    if not notebooks:
        raise StudentEditionError(f"no release notebooks in {release}: run `make notebooks` first")
    stale = [p for nb in notebooks for p in course.setup_cell_problems(nb, course.setup_block(config))]
    if stale:
        raise StudentEditionError("the release notebooks do not install the student edition named in course.toml "
                                  "([student]); run `python scripts/set_course_repository.py && make notebooks`:\n  "
                                  + "\n  ".join(stale))
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    folder = Path(out)
    _clear(folder)
    shutil.copytree(Path(ganbias_helpers.__file__).resolve().parent, folder / "ganbias_helpers", ignore=_SKIP)
    (folder / "notebooks" / "ganbias").mkdir(parents=True)
    for notebook in notebooks:
        shutil.copyfile(notebook, folder / "notebooks" / "ganbias" / notebook.name)
    wheel_name = course.wheel_name()
    table = "\n".join(f"| [{nb.stem}](notebooks/ganbias/{nb.name}) | "
                      f"[![Open in Colab](https://colab.research.google.com/assets/colab-badge.svg)]"
                      f"({course.colab_url(config, nb.name) or ''}) |" for nb in notebooks)
    (folder / "README.md").write_text(STUDENT_README.format(table=table, wheel=f"dist/{wheel_name}"),
                                      encoding="utf-8")
    (folder / "pyproject.toml").write_text(
        student_pyproject(pyproject["project"], pyproject["tool"]["setuptools"].get("package-data", {})),
        encoding="utf-8")
    (folder / ".gitignore").write_text(GITIGNORE, encoding="utf-8")
    (folder / MARKER).write_text(f"ganbias student edition {pyproject['project']['version']}, written by "
                                 "`ganbias export student`; the next export replaces everything here but .git\n",
                                 encoding="utf-8")
    problems = audit(folder)
    if problems:
        raise StudentEditionError("the student edition would hold what it must not:\n  " + "\n  ".join(problems))
    wheel = build_student_wheel(folder)
    if wheel.name != wheel_name:
        raise StudentEditionError(f"the wheel is {wheel.name}, but the notebooks install {wheel_name}")
    problems = audit(folder, wheel)
    if problems:
        wheel.unlink()
        raise StudentEditionError("the student wheel would hold what it must not:\n  " + "\n  ".join(problems))
    files = sum(1 for p in folder.rglob("*") if p.is_file() and ".git" not in p.relative_to(folder).parts)
    return StudentEdition(folder, wheel, files)


def run(args: argparse.Namespace) -> int:
    """``ganbias export student --out DIR``; exit status 0, or 2 when the edition cannot be written."""
    try:
        edition = export_student(args.out)
    except StudentEditionError as err:
        print(f"ganbias export student: {err}", file=sys.stderr)
        return 2
    config = _course_script().read_config()
    size = edition.wheel.stat().st_size / 2**20
    print(f"wrote the student edition to {edition.folder} ({edition.files} files; the wheel "
          f"{edition.wheel.relative_to(edition.folder)}, {size:.1f} MiB). Push it as the repository "
          f"{config['repository']} (branch {config['ref']}; course.toml's [student]): Colab installs the wheel "
          "from there.")
    return 0

