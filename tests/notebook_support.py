"""Execute course notebooks headless for tests/test_notebooks.py: each in its own Python process, two at a time.

A kernel mostly keeps one core busy, and the machines this suite runs on have two: running the notebooks
two at a time (each kernel's PyTorch on one thread) halves the wait without changing what is checked.

As a script, ``python tests/notebook_support.py NOTEBOOK OUT_DIR`` runs nbgrader's own validation on
NOTEBOOK (what ``nbgrader validate`` does, with the repository's nbgrader_config.py) and writes the
executed notebook to ``OUT_DIR/executed.ipynb`` and the validation verdict to ``OUT_DIR/validation.json``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]

#: Kernels started by a job use one thread each (two jobs share two cores).
ONE_THREAD = {"OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}


@dataclass
class Job:
    """One process to run: ``argv`` in ``cwd`` with ``env`` added to (and ``unset`` removed from) this one's."""

    name: str
    argv: list[str]
    cwd: Path
    env: dict[str, str] = field(default_factory=dict)
    unset: tuple[str, ...] = ()
    timeout_s: float = 1800.0


@dataclass
class Finished:
    """What a job left: its exit status, its output and its wall-clock seconds."""

    returncode: int
    output: str
    seconds: float


def run_jobs(jobs: list[Job], workers: int = 2) -> dict[str, Finished]:
    """Run ``jobs`` ``workers`` at a time, in the order given (put the longest first); name -> what it left.

    A job that runs past its timeout is killed and reported with return code -9 and a note in its output.
    """

    def one(job: Job) -> Finished:
        env = {k: v for k, v in os.environ.items() if k not in job.unset} | ONE_THREAD | job.env
        started = time.monotonic()
        try:
            proc = subprocess.run(job.argv, cwd=job.cwd, env=env, capture_output=True, text=True,
                                  timeout=job.timeout_s)
        except subprocess.TimeoutExpired as err:
            out = (err.stdout or b"").decode(errors="replace") if isinstance(err.stdout, bytes) else err.stdout or ""
            return Finished(-9, f"{out}\n{job.name}: killed after {job.timeout_s:.0f} s", time.monotonic() - started)
        return Finished(proc.returncode, proc.stdout + proc.stderr, time.monotonic() - started)

    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        futures = {job.name: pool.submit(one, job) for job in jobs}
        return {name: future.result() for name, future in futures.items()}


def validate_job(name: str, notebook: Path, out: Path, env: dict[str, str] | None = None,
                 unset: tuple[str, ...] = ()) -> Job:
    """A job validating ``notebook`` with nbgrader's validator and keeping the executed copy in ``out``."""
    return Job(name, [sys.executable, str(Path(__file__).resolve()), str(notebook), str(out)], cwd=out,
               env=env or {}, unset=unset)


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
    """Validate one notebook and write what :func:`validated` reads (see the module docstring)."""
    if len(argv) != 2:
        print("usage: python tests/notebook_support.py NOTEBOOK OUT_DIR", file=sys.stderr)
        return 2
    notebook, out = Path(argv[0]), Path(argv[1])
    out.mkdir(parents=True, exist_ok=True)
    results, executed = validate_solution(notebook)
    nbformat.write(executed, out / "executed.ipynb")
    (out / "validation.json").write_text(json.dumps(results, indent=1, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
