"""Execute course notebooks headless for tests/test_notebooks.py and tests/test_accessibility.py, once per session.

Each notebook run is a job: its own Python process (nbgrader's validator, or the course's ``run_notebook``), in
a folder of its own, with a timeout. :class:`SharedRuns` runs each job at most once per test session, the first
time a test asks for it, and shares what it left with every test that asks later, in this process or in
another pytest-xdist worker (a file lock per job in a folder the workers share). ``make test`` runs two workers:
the two cores each run tests, notebook runs among them. Each kernel's PyTorch uses one thread.

As a script, ``python tests/notebook_support.py NOTEBOOK OUT_DIR`` runs nbgrader's own validation on
NOTEBOOK (what ``nbgrader validate`` does, with the repository's nbgrader_config.py) and writes the
executed notebook to ``OUT_DIR/executed.ipynb`` and the validation verdict to ``OUT_DIR/validation.json``;
with ``--run`` first, the course's own ``ganbias_helpers.course.run_notebook`` runs it instead.
"""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
ASSIGNMENT = "ganbias"
SOLUTIONS = ROOT / "solutions" / ASSIGNMENT
RELEASE = ROOT / "notebooks" / ASSIGNMENT
NOTEBOOKS = ["01_models.ipynb", "02_steering.ipynb", "03_covariance.ipynb", "04_fairness.ipynb",
             "05_sources_of_bias.ipynb", "06_mitigation.ipynb"]
#: Steering at this size (8 faces, 2 steps each way) where the notebook's checks do not depend on the size.
SMALL = "8,2"
#: The one solution notebook run at the course's full size (256 faces, 30 steps each way), where the size is
#: the point: notebook 6 steers twice at that size (plainly, then holding an attribute) with the same
#: ``steer`` that notebooks 2 and 3 call, and its conclusions (the held attribute's weaker slope, its new
#: rank) are statistics of those runs. Notebooks 2 and 3 run small: their checks hold at any size.
FULL_SIZE = "06_mitigation.ipynb"
STEERING = {"02_steering.ipynb", "03_covariance.ipynb", FULL_SIZE}
RELEASE_JOB, CELEBA_JOB = "release", "01_models.ipynb with a CelebA folder"
#: Kernels started by a job use one thread each (two workers share two cores).
ONE_THREAD = {"OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}


@dataclass
class Job:
    """One process to run: ``argv`` in ``cwd`` with the environment ``env`` (complete, fixed when the job is made)."""

    name: str
    argv: list[str]
    cwd: Path
    env: dict[str, str]
    log: Path
    timeout_s: float = 1800.0


def job_env(add: dict[str, str] | None = None, unset: tuple[str, ...] = ()) -> dict[str, str]:
    """This process's environment now, one thread per kernel, ``add`` added and ``unset`` removed.

    Taken when the job is made: a test's later change to ``os.environ`` does not reach a job started after it.
    """
    return {k: v for k, v in os.environ.items() if k not in unset} | ONE_THREAD | (add or {})


@dataclass
class Finished:
    """What a job left: its exit status, its output and its wall-clock seconds."""

    returncode: int
    output: str
    seconds: float


def run_job(job: Job) -> Finished:
    """Run ``job`` to its end (killed, with what it started, after ``job.timeout_s``) and return what it left."""
    job.log.parent.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    with open(job.log, "wb") as log:  # a file, not a pipe: nothing blocks on a full pipe
        proc = subprocess.Popen(job.argv, cwd=job.cwd, env=job.env, stdout=log, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, start_new_session=True)
        try:
            code = proc.wait(timeout=job.timeout_s)
        except subprocess.TimeoutExpired:
            try:
                os.killpg(proc.pid, signal.SIGKILL)  # its session: a kernel it started goes too
            except (ProcessLookupError, PermissionError):
                pass
            proc.wait()
            code = -9
    output = job.log.read_text(errors="replace")
    if code == -9:
        output += f"\n{job.name}: killed after {job.timeout_s:.0f} s"
    return Finished(code, output, time.monotonic() - started)


class SharedRuns:
    """Jobs run at most once per test session and shared by every test, in every pytest-xdist worker.

    ``make_job(name, folder)`` makes the job ``name`` in ``folder`` (empty, under ``root``, which every worker
    of the session shares). :meth:`get` runs it the first time any test asks and keeps what it left in
    ``folder/finished.json``; a file lock per job makes a second asker wait for the first instead of running
    it again.
    """

    def __init__(self, root: Path, make_job: Callable[[str, Path], Job]) -> None:
        self.root = root
        self.make_job = make_job
        root.mkdir(parents=True, exist_ok=True)

    def _folder(self, name: str) -> Path:
        return self.root / "".join(c if c.isalnum() else "_" for c in name)

    def _run_unless_done(self, name: str, folder: Path) -> None:
        done = folder / "finished.json"
        if done.exists():
            return
        shutil.rmtree(folder, ignore_errors=True)  # what a run cut short left
        folder.mkdir(parents=True)
        finished = run_job(self.make_job(name, folder))
        done.write_text(json.dumps(dataclasses.asdict(finished)))

    def get(self, name: str) -> tuple[Finished, Path]:
        """What job ``name`` left and its folder (run now unless some test of this session ran it)."""
        from filelock import FileLock

        folder = self._folder(name)
        with FileLock(str(folder) + ".lock"):
            self._run_unless_done(name, folder)
        return Finished(**json.loads((folder / "finished.json").read_text())), folder

    def get_all(self, names: list[str]) -> dict[str, tuple[Finished, Path]]:
        """:meth:`get` for each of ``names``: first those no other worker is running, then wait for the rest."""
        from filelock import FileLock, Timeout

        for name in names:
            lock = FileLock(str(self._folder(name)) + ".lock")
            try:
                with lock.acquire(timeout=0):
                    self._run_unless_done(name, self._folder(name))
            except Timeout:
                continue  # another worker runs it now
        return {name: self.get(name) for name in names}


def shared_root(tmp_path_factory: object) -> Path:
    """A folder every pytest-xdist worker of this session shares (this session's base temp without xdist)."""
    base = tmp_path_factory.getbasetemp()  # type: ignore[attr-defined]
    root = (base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base) / "shared"
    root.mkdir(exist_ok=True)
    return root


def course_copy(tmp_path: Path, folder: Path) -> Path:
    """Copy a notebook folder and the repository's nbgrader_config.py into a temporary course folder."""
    dest = tmp_path / "course"
    shutil.copytree(folder, dest / folder.relative_to(ROOT))
    shutil.copy(ROOT / "nbgrader_config.py", dest / "nbgrader_config.py")
    return dest


def notebook_job(name: str, out: Path) -> Job:
    """The job ``name`` (a solution notebook's file name, :data:`RELEASE_JOB` or :data:`CELEBA_JOB`) in ``out``.

    Each solution notebook runs in a copy, in ``out``, through nbgrader's own validator (one execution serves
    the validation verdict and the outputs); the untouched release goes through one ``nbgrader validate`` over
    all six notebooks. Nothing is written into ``solutions/`` or ``notebooks/``.
    """
    from conftest import make_tiny_celeba

    from ganbias_helpers.course import INLINE_BACKEND

    if name == RELEASE_JOB:
        course = course_copy(out, RELEASE)  # with nbgrader_config.py, so its cell timeout applies
        # Only the verdict matters here, not the steering: small runs.
        return Job(name, [sys.executable, "-m", "nbgrader", "validate",
                          *(f"notebooks/{ASSIGNMENT}/{n}" for n in NOTEBOOKS)],
                   cwd=course, env=job_env({"GANBIAS_EXPERIMENT_SIZE": SMALL}, unset=("CELEBA_DIR",)),
                   log=out / "job.log")
    notebook = "01_models.ipynb" if name == CELEBA_JOB else name
    if notebook not in NOTEBOOKS:
        raise ValueError(f"no notebook job named {name!r}")
    shutil.copy(SOLUTIONS / notebook, out / notebook)
    env = {"MPLBACKEND": INLINE_BACKEND, "GANBIAS_CACHE": str(out / "cache")}  # figures inline, as in Jupyter
    unset: tuple[str, ...] = ("CELEBA_DIR",)  # notebook 1's optional training must not start unasked
    if name == CELEBA_JOB:
        env["CELEBA_DIR"] = str(make_tiny_celeba(out / "celeba"))
        unset = ()
    if name in STEERING:
        if name == FULL_SIZE:
            unset += ("GANBIAS_EXPERIMENT_SIZE",)
        else:
            env["GANBIAS_EXPERIMENT_SIZE"] = SMALL
    # Notebook 1 with CelebA runs through the course's own run_notebook (what benchmarks/course_timing.py uses).
    return validate_job(name, out / notebook, out, job_env(env, unset), run=name == CELEBA_JOB)


def validate_job(name: str, notebook: Path, out: Path, env: dict[str, str], run: bool = False) -> Job:
    """A job validating ``notebook`` with nbgrader's validator and keeping the executed copy in ``out``.

    ``run``: run it with the course's ``run_notebook`` instead (it fails at the first error; no verdict).
    """
    return Job(name, [sys.executable, str(Path(__file__).resolve()), *(["--run"] if run else []), str(notebook),
                      str(out)], cwd=out, env=env, log=out / "job.log")


def validated(out: Path) -> tuple[dict, nbformat.NotebookNode]:
    """The verdict and the executed notebook a :func:`validate_job` left in ``out``."""
    results = json.loads((out / "validation.json").read_text())
    return results, nbformat.read(out / "executed.ipynb", as_version=4)


def validate_solution(path: Path) -> tuple[dict, nbformat.NotebookNode]:
    """Run nbgrader's own validation (what ``nbgrader validate`` does) and keep the executed notebook.

    One execution serves two checks: the validation verdict, and the outputs (errors, figures).
    The cell timeout comes from the repository's nbgrader_config.py.
    """
    from nbgrader.validator import Validator
    from traitlets.config.loader import PyFileConfigLoader

    config = PyFileConfigLoader("nbgrader_config.py", path=str(ROOT)).load_config()

    class CapturingValidator(Validator):
        executed: nbformat.NotebookNode | None = None

        def _preprocess(self, nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
            nb = super()._preprocess(nb)
            CapturingValidator.executed = nb
            return nb

    validator = CapturingValidator(config=config)
    results = validator.validate(str(path))
    if CapturingValidator.executed is None:
        raise RuntimeError(f"nbgrader's validator did not execute {path}")
    return results, CapturingValidator.executed


def main(argv: list[str]) -> int:
    """Validate one notebook and write what :func:`validated` reads (see the module docstring).

    With ``--run`` first, the notebook is run by the course's own ``run_notebook`` instead (in OUT_DIR,
    stopping at the first error) and only ``executed.ipynb`` is written.
    """
    run = argv[:1] == ["--run"]
    argv = argv[1:] if run else argv
    if len(argv) != 2:
        print("usage: python tests/notebook_support.py [--run] NOTEBOOK OUT_DIR", file=sys.stderr)
        return 2
    notebook, out = Path(argv[0]), Path(argv[1])
    out.mkdir(parents=True, exist_ok=True)
    if run:
        from ganbias_helpers.course import run_notebook

        executed, _ = run_notebook(notebook, workdir=out)
        nbformat.write(executed, out / "executed.ipynb")
        return 0
    results, executed = validate_solution(notebook)
    nbformat.write(executed, out / "executed.ipynb")
    (out / "validation.json").write_text(json.dumps(results, indent=1, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
