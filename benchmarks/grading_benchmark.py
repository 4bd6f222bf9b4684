"""Benchmark: grade the same generated submissions with ``ganbias grade`` and with ``nbgrader autograde``.

    python benchmarks/grading_benchmark.py                      # 50 students, 04_fairness
    python benchmarks/grading_benchmark.py --notebooks 03_covariance 04_fairness --nbgrader-n 10

nbgrader executes every cell of every notebook (steering runs included), so both
sides are restricted to the same notebooks (``--notebooks``, default 04_fairness).
With ``--nbgrader-n N`` < ``--n``, nbgrader grades only the first N students and its
time for all is extrapolated linearly (said so in the output). Submissions are
derived from the solution notebooks and the release: for each graded function a
student has the solution, the untouched stub, or a wrong answer, chosen at random.
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from autograder_support import (  # noqa: E402
    available_notebooks,
    fill,
    load,
    make_course,
    nbgrader,
    nbgrader_scores,
    set_source,
    solution,
    submit,
)

from autograder import sandbox  # noqa: E402
from autograder.items import items_of  # noqa: E402


def bubblewrap_cost(runs: int = 10) -> tuple[float, float] | None:
    """Seconds of one sandboxed run of a trivial answer, under bubblewrap and with no isolation (None: no bwrap)."""
    if sandbox.bubblewrap_works() is not None:
        return None
    program = {"04_fairness": [("cell 1", "import numpy as np\ndef f(x):\n    return np.asarray(x) * 2\n")]}
    calls = [sandbox.Call("a", "04_fairness", "f", ([1.0, 2.0],))]
    out = []
    for kind in ("bubblewrap", "none"):
        world = sandbox.World(sandbox.Isolation(kind))
        try:
            started = time.perf_counter()
            for _ in range(runs):
                sandbox.run(world, program, calls, sandbox.Limits(), time.monotonic() + 60)
            out.append((time.perf_counter() - started) / runs)
        finally:
            world.close()
    return out[0], out[1]


def make_students(release: Path, notebooks: list[str], n: int, seed: int) -> dict[str, dict[str, dict]]:
    """``n`` students, each with every notebook in ``notebooks``, answers mixed at random."""
    rng = random.Random(seed)
    sources = {nb: (solution(nb), load(release / f"{nb}.ipynb"), [i.name for i in items_of(nb)]) for nb in notebooks}
    students: dict[str, dict[str, dict]] = {}
    for k in range(n):
        student = f"student{k:03d}"
        students[student] = {}
        for nb in notebooks:
            sol, rel, names = sources[nb]  # fill() copies, so the same notebooks serve every student
            choice = {name: rng.choice(["right", "right", "stub", "wrong"]) for name in names}
            out = fill(rel, sol, [name for name in names if choice[name] == "right"])
            for name in names:
                if choice[name] == "wrong":
                    set_source(out, name, f"def {name}(*args, **kwargs):\n    return 0.5\n")
            students[student][nb] = out
    return students


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=50, help="students (default 50)")
    parser.add_argument("--nbgrader-n", type=int, default=None, help="students nbgrader grades (default all)")
    parser.add_argument("--notebooks", nargs="+", default=["04_fairness"])
    parser.add_argument("--jobs", type=int, default=2, help="ganbias grade --jobs (default 2)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    notebooks = [nb for nb in args.notebooks if nb in available_notebooks()]
    if not notebooks:
        raise SystemExit(f"none of {args.notebooks} has a solution notebook yet")
    n_nb = min(args.nbgrader_n or args.n, args.n)
    env = dict(os.environ, OMP_NUM_THREADS="1", MPLBACKEND="Agg")
    with tempfile.TemporaryDirectory(prefix="ganbias-bench-") as tmp:
        root = Path(tmp)
        course = make_course(root, notebooks)
        students = make_students(course / "release" / "ganbias", notebooks, args.n, args.seed)
        folders = {s: submit(course, s, nbs) for s, nbs in students.items()}
        print(f"{args.n} students x {len(notebooks)} notebook(s) ({', '.join(notebooks)}); {os.cpu_count()} CPUs")

        started = time.perf_counter()
        subprocess.run([sys.executable, "-m", "ganbias_helpers.cli", "grade", *map(str, folders.values()),
                        "--out", str(root / "ours"), "--jobs", str(args.jobs), "--no-progress"],
                       check=True, env=env, stdout=subprocess.DEVNULL)
        print(f"isolation: {sandbox.choose_isolation().describe()}")
        ours = time.perf_counter() - started
        print(f"ganbias grade (--jobs {args.jobs}):     {ours:8.1f} s  ({ours / args.n:.2f} s per student)")

        chosen = list(folders)[:n_nb]
        for student in list(folders)[n_nb:]:  # nbgrader grades only the first n_nb
            os.rename(course / "submitted" / student, root / f"held-{student}")
        started = time.perf_counter()
        nbgrader(course, "autograde", "ganbias", "--create", "--force", timeout=24 * 3600)
        theirs = time.perf_counter() - started
        scale = args.n / n_nb
        label = "" if n_nb == args.n else f" for {n_nb} students, {theirs * scale:.1f} s extrapolated to {args.n}"
        print(f"nbgrader autograde:            {theirs:8.1f} s  ({theirs / n_nb:.2f} s per student){label}")
        print(f"ratio (nbgrader / ganbias):    {theirs * scale / ours:8.1f}x")

        import csv

        with open(root / "ours" / "grades.csv", newline="") as f:
            rows = {r["student"]: r for r in csv.DictReader(f)}
        nbg = nbgrader_scores(course, notebooks, chosen)
        names = {nb: [i.name for i in items_of(nb)] for nb in notebooks}
        mismatches = [(s, nb) for s in chosen for nb in notebooks
                      if abs(sum(float(rows[s][name] or 0) for name in names[nb]) - nbg[(s, nb)]) > 1e-9]
        print(f"per-notebook totals that differ from nbgrader's: {len(mismatches)} of {len(chosen) * len(notebooks)}"
              + (f" {mismatches[:5]}" if mismatches else ""))
    cost = bubblewrap_cost()
    if cost is None:
        print("bubblewrap is not available here: no sandbox cost measured")
    else:
        print(f"one sandboxed run of a trivial answer: bubblewrap {cost[0]:.3f} s, no isolation {cost[1]:.3f} s "
              f"(bubblewrap costs {cost[0] - cost[1]:+.3f} s per run; a student of one notebook is one or two runs)")


if __name__ == "__main__":
    main()
