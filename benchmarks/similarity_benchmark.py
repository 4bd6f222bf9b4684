"""Benchmark: the similarity report on synthetic submissions (default 500 students, every graded notebook).

    python benchmarks/similarity_benchmark.py            # 500 students
    python benchmarks/similarity_benchmark.py --n 2000

Each student hands in the five graded notebooks, made from the solutions. For each graded
function a student has, at random: their own answer (the solution with its names changed,
comments and blank lines added and a few statements of their own inserted), the stub, or a
copy of another student's own answer under other names and comments (a planted pair). The
script prints the time to read every notebook and compare every pair, the peak memory, and how
many planted pairs the report found.
"""

from __future__ import annotations

import argparse
import ast
import copy
import keyword
import random
import resource
import string
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from autograder_support import available_notebooks, save, set_source, solution, source  # noqa: E402

from autograder.items import items_of  # noqa: E402
from autograder.similarity import _bound_names, similarity_report  # noqa: E402


def fresh_name(rng: random.Random) -> str:
    """A random identifier that is not a keyword."""
    while True:
        name = "".join(rng.choice(string.ascii_lowercase) for _ in range(rng.randint(3, 9)))
        if not keyword.iskeyword(name):
            return name


def rename(text: str, rng: random.Random) -> str:
    """The answer with the names it binds changed, comments and blank lines added."""
    tree = ast.parse(text)
    fn = tree.body[0]
    mapping = {n: fresh_name(rng) for n in _bound_names(fn)}
    for node in ast.walk(fn):
        if isinstance(node, ast.Name) and node.id in mapping:
            node.id = mapping[node.id]
        elif isinstance(node, ast.arg) and node.arg in mapping:
            node.arg = mapping[node.arg]
    lines = ast.unparse(tree).split("\n")
    out = []
    for line in lines:
        out.append(line)
        if rng.random() < 0.2 and line.startswith("    "):
            indent = line[:len(line) - len(line.lstrip())]
            out.append(indent + "# " + " ".join(rng.choice(["note", "check", "why", "todo", "ok"]) for _ in range(3)))
        if rng.random() < 0.1:
            out.append("")
    return "\n".join(out) + "\n"


def own_answer(text: str, rng: random.Random) -> str:
    """The solution, made a student's own: a few statements inserted where they change nothing, then renamed."""
    tree = ast.parse(text)
    fn = tree.body[0]
    for _ in range(rng.randint(2, 4)):
        name = fresh_name(rng)
        filler = rng.choice([f"{name} = {rng.randint(0, 99)}", f"{name} = len({rng.choice(['[]', '()', 'str()'])})",
                             f"{name} = [i * {rng.randint(1, 9)} for i in range({rng.randint(1, 5)})]",
                             f"assert {rng.randint(1, 9)} > 0"])
        fn.body.insert(rng.randint(0, max(0, len(fn.body) - 1)), ast.parse(filler).body[0])
    return rename(ast.unparse(tree), rng)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=500, help="students (default 500)")
    parser.add_argument("--copy-rate", type=float, default=0.05, help="answers copied from another student")
    parser.add_argument("--stub-rate", type=float, default=0.15, help="answers left as the stub")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threshold", type=float, default=0.8)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    notebooks = available_notebooks()
    base = {nb: solution(nb) for nb in notebooks}
    stubs = {item.name: f"def {item.name}(*args):\n    raise NotImplementedError()\n"
             for nb in notebooks for item in items_of(nb)}
    planted: set[tuple[str, str, str]] = set()
    with tempfile.TemporaryDirectory(prefix="similarity-bench-") as tmp:
        started = time.perf_counter()
        own: dict[str, dict[str, str]] = {}
        students: dict[str, list[Path]] = {}
        for k in range(args.n):
            student = f"student{k:04d}"
            students[student] = []
            for nb in notebooks:
                doc = copy.deepcopy(base[nb])
                for item in items_of(nb):
                    r = rng.random()
                    earlier = [s for s in own if item.name in own[s]]
                    if r < args.copy_rate and earlier:
                        origin = rng.choice(earlier)
                        text = rename(own[origin][item.name], rng)
                        planted.add((item.name, *sorted((origin, student))))
                    elif r < args.copy_rate + args.stub_rate:
                        text = stubs[item.name]
                    else:
                        text = own_answer(source(base[nb], item.name), rng)
                        own.setdefault(student, {})[item.name] = text
                    doc = set_source(doc, item.name, text)
                students[student].append(save(doc, Path(tmp) / student / f"{nb}.ipynb"))
        made = time.perf_counter() - started
        started, cpu = time.perf_counter(), time.process_time()
        report = similarity_report(students, Path(tmp) / "out", threshold=args.threshold)
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    found = {(p.function, *sorted((p.a.student, p.b.student))) for p in report.pairs}
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    files = sum(len(f) for f in students.values())
    print(f"{args.n} students, {files} notebooks, {len(stubs)} graded functions (made in {made:.1f} s)")
    print(f"similarity report: {seconds:.2f} s wall, {cpu:.2f} s CPU ({1000 * cpu / args.n:.1f} ms CPU per student), "
          f"peak RSS {peak:.0f} MiB")
    print(f"answers compared: {sum(report.answers.values())}; stubs or too short: {sum(report.skipped.values())}; "
          f"left out as common: {sum(report.common.values())}")
    print(f"planted copies found: {len(planted & found)}/{len(planted)}; other pairs flagged: {len(found - planted)} "
          "(the synthetic own answers are all the solution with a few statements added, so they look alike)")


if __name__ == "__main__":
    main()
