"""Benchmark: one submission of all six notebooks through the Gradescope bundle, under Gradescope's default limits.

    sudo python benchmarks/gradescope_limits.py                 # 768 MB, half a CPU, one CPU thread
    python benchmarks/gradescope_limits.py --memory-mb 1536 --cpus 1
    python benchmarks/gradescope_limits.py --upload my_notebooks/   # another submission

The bundle is exported (`ganbias export gradescope`), laid out in a temporary root as in
Gradescope's container, and its ``run_autograder`` runs on the six solution notebooks in a
fresh cgroup (v1 or v2, nested in this process's own) with ``--memory-mb`` as its hard memory
limit and ``--cpus`` of CPU time (a CFS quota), pinned to one core (``taskset``), with the BLAS
and OpenMP thread counts at 1 (``run_autograder`` sets them). It prints the wall-clock seconds,
the cgroup's peak memory (page cache included, which the kernel reclaims under the limit), the
peak resident memory of the processes (sampled), whether the limit was hit or anything was
killed, and the score. Without a writable cgroup it falls back to ``prlimit --as`` and says so.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
NOTEBOOKS = ("01_models", "02_steering", "03_covariance", "04_fairness", "05_sources_of_bias", "06_mitigation")


def own_cgroup_v1(controller: str) -> Path | None:
    """This process's cgroup folder for a v1 controller, if it is writable."""
    for line in Path("/proc/self/cgroup").read_text().splitlines():
        _, names, path = line.split(":", 2)
        if controller in names.split(","):
            folder = Path("/sys/fs/cgroup") / controller / path.lstrip("/")
            return folder if os.access(folder, os.W_OK) else None
    return None


class Cgroup:
    """A child cgroup of this process's own, with a memory limit and a CPU quota (v1 controllers)."""

    def __init__(self, memory_bytes: int, cpus: float) -> None:
        name = f"ganbias-limits-{os.getpid()}"
        mem, cpu = own_cgroup_v1("memory"), own_cgroup_v1("cpu")
        if mem is None or cpu is None:
            raise OSError("no writable v1 memory and cpu cgroups")
        self.mem, self.cpu = mem / name, cpu / name
        self.mem.mkdir()
        self.cpu.mkdir()
        (self.mem / "memory.limit_in_bytes").write_text(str(memory_bytes))
        try:  # no swap either (when swap accounting is on)
            (self.mem / "memory.memsw.limit_in_bytes").write_text(str(memory_bytes))
        except OSError:
            pass
        period = 100_000
        (self.cpu / "cpu.cfs_period_us").write_text(str(period))
        (self.cpu / "cpu.cfs_quota_us").write_text(str(int(cpus * period)))

    def prefix(self) -> list[str]:
        """A shell prefix that moves the command into this cgroup before it starts."""
        return ["sh", "-c", f'echo $$ > {self.mem}/cgroup.procs && echo $$ > {self.cpu}/cgroup.procs && exec "$@"',
                "sh"]

    def read(self, name: str) -> str:
        return (self.mem / name).read_text()

    def rss(self) -> int:
        stat = dict(line.split() for line in self.read("memory.stat").splitlines())
        return int(stat.get("total_rss", stat.get("rss", 0)))

    def close(self) -> None:
        for folder in (self.mem, self.cpu):
            for _ in range(50):
                try:
                    folder.rmdir()
                    break
                except OSError:
                    time.sleep(0.2)


def lay_out(root: Path, python: str, upload: Path | None = None) -> Path:
    """Export the bundle and lay Gradescope's container out under ``root``; returns run_autograder."""
    subprocess.run([python, "-m", "autograder", "export", "gradescope", "--out", str(root / "export")], check=True,
                   stdout=subprocess.DEVNULL)
    source = root / "autograder" / "source"
    with zipfile.ZipFile(root / "export" / "autograder.zip") as archive:
        archive.extractall(source)
        for info in archive.infolist():
            os.chmod(source / info.filename, info.external_attr >> 16)
    shutil.copy2(source / "run_autograder", root / "autograder" / "run_autograder")
    submission = root / "autograder" / "submission"
    submission.mkdir(parents=True)
    if upload is not None:
        for path in sorted(upload.glob("*.ipynb")):
            shutil.copy2(path, submission / path.name)
    else:
        for nb in NOTEBOOKS:
            shutil.copy2(REPO / "solutions" / "ganbias" / f"{nb}.ipynb", submission / f"{nb}.ipynb")
    (root / "autograder" / "results").mkdir()
    return root / "autograder" / "run_autograder"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--memory-mb", type=int, default=768, help="memory limit (Gradescope's default: 768)")
    parser.add_argument("--cpus", type=float, default=0.5, help="CPU quota (Gradescope's default: 0.5)")
    parser.add_argument("--python", default=sys.executable, help="the Python with the course package installed")
    parser.add_argument("--upload", type=Path, default=None,
                        help="grade the notebooks in this folder instead of the six solutions")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="ganbias-gradescope-") as tmp:
        root = Path(tmp)
        entry = lay_out(root, args.python, args.upload)
        env = dict(os.environ, GANBIAS_PLATFORM_ROOT=str(root), GANBIAS_PYTHON=args.python)
        pin = ["taskset", "-c", str(min(os.sched_getaffinity(0)))] if shutil.which("taskset") else []
        group = None
        try:
            group = Cgroup(args.memory_mb * 2**20, args.cpus)
            how = (f"cgroup v1: memory.limit_in_bytes {args.memory_mb} MB, cpu quota {args.cpus:g} CPU"
                   + (", taskset one core" if pin else ""))
            argv = [*group.prefix(), *pin, str(entry)]
        except OSError as err:
            how = (f"no cgroup ({err}): prlimit --as={args.memory_mb} MB (address space, stricter than RSS), "
                   "no CPU quota" + (", taskset one core" if pin else ""))
            argv = ["prlimit", f"--as={args.memory_mb * 2**20}", *pin, str(entry)]
        peak_rss = [0]
        done = threading.Event()

        def sample() -> None:
            while not done.wait(0.2):
                if group is not None:
                    try:
                        peak_rss[0] = max(peak_rss[0], group.rss())
                    except OSError:
                        pass

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        load = os.getloadavg()[0]
        started = time.perf_counter()
        proc = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=1800, cwd=root)
        seconds = time.perf_counter() - started
        done.set()
        sampler.join()
        results_path = root / "autograder" / "results" / "results.json"
        results = json.loads(results_path.read_text()) if results_path.exists() else {}
        print(f"limits: {how}")
        print(f"load average before the run: {load:.2f} on {os.cpu_count()} CPUs")
        print(f"run_autograder: exit {proc.returncode}, {seconds:.1f} s wall")
        if group is not None:
            peak = int(group.read("memory.max_usage_in_bytes")) / 2**20
            failcnt = int(group.read("memory.failcnt"))
            oom = dict(line.split() for line in group.read("memory.oom_control").splitlines())
            print(f"peak memory (cgroup, page cache included): {peak:.0f} MB; peak resident (sampled): "
                  f"{peak_rss[0] / 2**20:.0f} MB; limit reached {failcnt} times; "
                  f"processes killed by the OOM killer: {oom.get('oom_kill', '?')}")
            group.close()
        if results:
            statuses = (results.get("extra_data") or {}).get("status")
            print(f"score {results.get('score')} / {sum(t.get('max_score', 0) for t in results.get('tests', []))}, "
                  f"status {statuses}, grader's own time {results.get('execution_time')} s")
            failed = [t["name"] for t in results.get("tests", []) if t.get("status") == "failed"]
            if failed:
                print("failed: " + "; ".join(failed))
        else:
            print("no results.json was written:\n" + proc.stdout[-2000:] + proc.stderr[-2000:])


if __name__ == "__main__":
    main()
