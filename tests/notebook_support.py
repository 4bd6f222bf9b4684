"""Execute course notebooks headless for tests/test_notebooks.py: each in its own Python process, in the background.

A kernel mostly keeps one core busy, and the machines this suite runs on have two. The runs start when the
session starts (``notebook_jobs`` in conftest.py), one at a time beside the other tests, which mostly keep
one core busy too; when tests/test_notebooks.py needs them, what is left runs two at a time. Each kernel's
PyTorch uses one thread. What is checked does not change, only when it runs.

As a script, ``python tests/notebook_support.py NOTEBOOK OUT_DIR`` runs nbgrader's own validation on
NOTEBOOK (what ``nbgrader validate`` does, with the repository's nbgrader_config.py) and writes the
executed notebook to ``OUT_DIR/executed.ipynb`` and the validation verdict to ``OUT_DIR/validation.json``;
with ``--run`` first, the course's own ``ganbias_helpers.course.run_notebook`` runs it instead.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]

#: Kernels started by a job use one thread each (two jobs share two cores).
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


class JobRunner:
    """Runs jobs in a background thread, ``workers`` at a time, in the order given (put the longest first).

    Started early, with one worker, the jobs run beside other tests; :meth:`wait` raises the number of
    workers (nothing else runs then) and returns what each job left. :meth:`cancel` kills what still runs.
    """

    def __init__(self, jobs: list[Job], workers: int = 1) -> None:
        self.workers = workers
        self._pending = list(jobs)
        self._running: dict[str, tuple[Job, subprocess.Popen, float]] = {}
        self._finished: dict[str, Finished] = {}
        self._order = [job.name for job in jobs]
        self._cancelled = False
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._loop, name="notebook-jobs", daemon=True)
        self._thread.start()

    def _start(self, job: Job) -> None:
        job.log.parent.mkdir(parents=True, exist_ok=True)
        with open(job.log, "wb") as log:  # a file, not a pipe: nothing blocks on a full pipe
            proc = subprocess.Popen(job.argv, cwd=job.cwd, env=job.env, stdout=log, stderr=subprocess.STDOUT,
                                    stdin=subprocess.DEVNULL, start_new_session=True)
        self._running[job.name] = (job, proc, time.monotonic())

    def _loop(self) -> None:
        while True:
            with self._lock:
                if self._cancelled:
                    return
                while self._pending and len(self._running) < max(1, self.workers):
                    job = self._pending.pop(0)
                    try:
                        self._start(job)
                    except OSError as err:
                        self._finished[job.name] = Finished(-1, f"{job.name}: could not start: {err}", 0.0)
                for name, (job, proc, started) in list(self._running.items()):
                    seconds = time.monotonic() - started
                    code = proc.poll()
                    if code is None and seconds > job.timeout_s:
                        _kill(proc)
                        code = -9
                    if code is not None:
                        output = job.log.read_text(errors="replace")
                        if code == -9:
                            output += f"\n{name}: killed after {job.timeout_s:.0f} s"
                        self._finished[name] = Finished(code, output, seconds)
                        del self._running[name]
                if not self._pending and not self._running:
                    return
            time.sleep(0.2)

    def wait(self, workers: int = 2) -> dict[str, Finished]:
        """Go on with ``workers`` at a time until every job has finished; name -> what it left, in job order."""
        self.workers = workers
        self._thread.join()
        return {name: self._finished[name] for name in self._order if name in self._finished}

    def cancel(self) -> None:
        """Start nothing more and kill every job still running (with what it started)."""
        with self._lock:
            self._cancelled = True
            for _job, proc, _started in self._running.values():
                _kill(proc)
            self._running.clear()


def _kill(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)  # its session: a kernel it started goes too
    except (ProcessLookupError, PermissionError):
        pass
    proc.wait()


def run_jobs(jobs: list[Job], workers: int = 2) -> dict[str, Finished]:
    """Run ``jobs`` ``workers`` at a time and wait for them; name -> what each left."""
    return JobRunner(jobs, workers).wait(workers)


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
