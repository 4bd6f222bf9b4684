"""Benchmark: the grader's own peak memory under a hostile batch (issue 25), against the bound in README.md.

    python benchmarks/grader_memory.py                 # the memory attacks, 4 honest students, --jobs 2
    python benchmarks/grader_memory.py --jobs 4 --honest 8

Grades two batches as an instructor would (``ganbias grade SUBMISSIONS --out OUT --due ...``) and polls the
``ganbias grade`` process's VmHWM, its own peak resident memory (the sandboxes are other processes, held by
``--memory-mb`` and their sized tmpfs):

* honest: students handing in the 04_fairness solution;
* hostile: the same students and, as many times as ``--jobs`` (so that every worker meets one at once), each
  attack of ``tests/hostile/`` on the grader's memory: a forged 60 MB result frame, 60 MB results decoding to
  120 MB, 2.5 MB of tiny statements in a notebook, a sparse 1 GB ``timestamp.txt``, a sandbox filling its tmpfs.

Prints both peaks and exits 1 when the hostile batch's is over the bound (``MEMORY_BOUND`` of
tests/test_hostile.py, the figure README.md states), or when a batch does not finish.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from test_hostile import DUE, MEMORY_BOUND, VICTIM, World  # noqa: E402

from autograder import sandbox  # noqa: E402

#: The attacks of tests/hostile/ on the grader's memory.
MEMORY_ATTACKS = ("stop_forged_frame_memory", "stop_large_results", "stop_syntax_trees", "stop_sparse_timestamp",
                  "stop_tmpfs_fill")


def grade(root: Path, attacks: tuple[str, ...], honest: int, jobs: int) -> tuple[int, float, int]:
    """Lay out and grade one batch; ``(grader's peak bytes, seconds, exit status)``."""
    world = World(root)
    for k in range(honest):
        world.student(f"{VICTIM}-{k:02d}")
    for copy in range(jobs if attacks else 0):
        for attack in attacks:
            world.attacker(attack, f"aaa-{attack}-{copy}")
    run = world.grade(jobs=jobs, args=("--due", DUE))
    if run.timed_out or run.rows is None:
        raise SystemExit(f"the batch did not finish {run.why()}")
    return run.peak_rss, run.seconds, run.returncode or 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--honest", type=int, default=4, help="honest students in each batch (default 4)")
    parser.add_argument("--jobs", type=int, default=2, help="ganbias grade --jobs (default 2)")
    args = parser.parse_args()
    print(f"isolation: {sandbox.choose_isolation().describe()}; {os.cpu_count()} CPUs; --jobs {args.jobs}")
    with tempfile.TemporaryDirectory(prefix="ganbias-memory-") as tmp:
        started = time.monotonic()
        honest, honest_s, _ = grade(Path(tmp) / "honest", (), args.honest, args.jobs)
        hostile, hostile_s, status = grade(Path(tmp) / "hostile", MEMORY_ATTACKS, args.honest, args.jobs)
    mib = 2**20
    print(f"honest batch ({args.honest} students):              grader peak {honest / mib:7.0f} MiB ({honest_s:.0f} s)")
    print(f"hostile batch (+{args.jobs} x {len(MEMORY_ATTACKS)} memory attacks):   grader peak "
          f"{hostile / mib:7.0f} MiB ({hostile_s:.0f} s, exit {status})")
    print(f"bound (README.md, tests/test_hostile.py MEMORY_BOUND): {MEMORY_BOUND / mib:.0f} MiB; "
          f"total {time.monotonic() - started:.0f} s")
    if hostile >= MEMORY_BOUND:
        print("FAIL: the grader's peak memory is over the bound")
        raise SystemExit(1)
    print("PASS")


if __name__ == "__main__":
    main()
