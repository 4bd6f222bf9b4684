"""Time the whole course: execute each solution notebook headless and compare the total with the budget.

Usage (from the repository root)::

    python benchmarks/course_timing.py            # all six notebooks
    python benchmarks/course_timing.py 02 06      # only the notebooks whose names start with these
    python benchmarks/course_timing.py --save DIR # also keep the executed notebooks (with outputs) in DIR

Each notebook is copied to a temporary folder and run there with the same kernel a student gets, on
whatever device ``pick_device`` chooses (a CPU-only machine runs the lighter CPU defaults). Prints each
notebook's seconds and the total against the course's budget of 600 s; exits with status 1 if a notebook
fails or the total is over budget.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

import nbformat
import torch

from ganbias_helpers.course import image_outputs, run_notebook
from ganbias_helpers.device import pick_device

ROOT = Path(__file__).resolve().parents[1]
SOLUTIONS = ROOT / "solutions" / "ganbias"
BUDGET_S = 600.0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("prefixes", nargs="*", help="run only notebooks whose names start with these")
    parser.add_argument("--budget", type=float, default=BUDGET_S, help="seconds allowed for the whole course")
    parser.add_argument("--save", type=Path, default=None, help="folder to keep the executed notebooks in")
    args = parser.parse_args(argv)
    if args.save:
        args.save.mkdir(parents=True, exist_ok=True)

    notebooks = sorted(SOLUTIONS.glob("*.ipynb"))
    if args.prefixes:
        notebooks = [p for p in notebooks if any(p.name.startswith(x) for x in args.prefixes)]
    os.environ.pop("CELEBA_DIR", None)  # never start notebook 1's optional training here
    print(f"Device: {pick_device()}; CPU cores: {os.cpu_count()}; torch threads: {torch.get_num_threads()}; "
          f"OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS', 'unset')}")
    total, failed = 0.0, []
    started = time.perf_counter()
    for path in notebooks:
        with tempfile.TemporaryDirectory() as tmp:
            copy = Path(tmp) / path.name
            shutil.copy(path, copy)
            try:
                nb, seconds = run_notebook(copy, workdir=tmp)
                note = f"{image_outputs(nb)} figures"
                if args.save:
                    nbformat.write(nb, args.save / path.name)
                total += seconds
            except Exception as err:  # report and go on with the next notebook
                seconds, note = float("nan"), f"FAILED: {type(err).__name__}: {str(err).splitlines()[-1][:120]}"
                failed.append(path.name)
        print(f"{path.name:<28} {seconds:7.1f} s   {note}", flush=True)
    wall = time.perf_counter() - started
    verdict = "within" if total <= args.budget else "OVER"
    print(f"{'total (notebooks)':<28} {total:7.1f} s   {verdict} the {args.budget:.0f} s budget "
          f"({total / args.budget:.0%}); wall clock incl. kernel start-up {wall:.1f} s")
    return 1 if failed or total > args.budget else 0


if __name__ == "__main__":
    sys.exit(main())
