"""Benchmark: the similarity report's quality on planted copies, and its cost on synthetic submissions.

    python benchmarks/similarity_benchmark.py            # quality (classes of 8 and 300), then cost (500 students)
    python benchmarks/similarity_benchmark.py --n 2000

Quality: 60 classes of 8 and 2 of 300, every graded function. An independent correct answer is
one of the known correct ways to write the function (the solution notebook's answer, or one of
the corpus's correct answers, tests/corpus/): 30% of the students write one as it is (the
solution's half the time), so many independent answers are identical after normalising, as in a
real class; the others add one to three statements of their own (``name = call(call(argument))``
with a drawn call, argument and attribute, at a drawn place). Then each has its own names,
comments and blank lines. A planted copy takes the own answer of a student not copied yet,
renames it, re-comments it and, half the time, adds one statement of its own. The script prints,
per class size, the share of planted copies flagged and the share of flagged pairs that are
independent, against the issue's bar (at least 95%, at most 5%).

Cost: each student hands in the five graded notebooks, made from the solutions; for each graded
function a student has, at random, the solution with its names changed, comments, blank lines and
a few statements of their own added, the stub, or a renamed copy of another student's answer. The
script prints the time to read every notebook and compare every pair, and the peak memory.
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
from corpus_support import load_corpus  # noqa: E402

from autograder.items import all_items, items_of  # noqa: E402
from autograder.similarity import (  # noqa: E402
    _bound_names,
    known_sources,
    known_variants,
    make_answer,
    normalise,
    similar_pairs,
    similarity_report,
)

#: The quality the report must reach (issue 26): planted copies flagged, flagged pairs that are independent.
MIN_RECALL, MAX_FALSE_SHARE = 0.95, 0.05


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


def variants() -> dict[str, list[str]]:
    """Known correct ways to write each graded function: the solution's answer and the corpus's correct answers."""
    found: dict[str, list[str]] = {}
    for item in all_items():
        found[item.name] = [source(solution(item.notebook), item.name)]
    for entry in load_corpus():
        if entry.kind == "correct" and entry.function in found:
            found[entry.function].append(entry.cells[entry.function])
    return found


def _function_node(tree: ast.Module, name: str) -> ast.FunctionDef:
    return next(n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == name)


#: What a student's own touches are made of: ``<name> = <call>(<call>(<argument>))<then>`` (one call or two).
CALLS = ("len", "np.asarray", "np.array", "np.ravel", "np.size", "np.shape", "list", "tuple", "sorted", "np.unique",
         "np.copy", "np.atleast_1d")
THEN = ("", ".shape", ".ndim", "[0]", ".copy()", ".astype(int)", ".astype(float)", ".sum()", ".max()")


def personal(text: str, name: str, rng: random.Random, touches: int) -> str:
    """``text`` with ``touches`` statements of the student's own, each at a random place in the body."""
    tree = ast.parse(text)
    fn = _function_node(tree, name)
    args = [a.arg for a in fn.args.args] or ["x"]
    for _ in range(touches):
        inner = rng.choice(args) if rng.random() < 0.4 else f"{rng.choice(CALLS)}({rng.choice(args)})"
        statement = f"{fresh_name(rng)} = {rng.choice(CALLS)}({inner}){rng.choice(THEN)}"
        fn.body.insert(rng.randint(0, len(fn.body) - 1), ast.parse(statement).body[0])
    return ast.unparse(ast.fix_missing_locations(tree))


def quality(classes: int, size: int, copy_rate: float, seed: int, textbook: float = 0.3) -> tuple[int, ...]:
    """Planted copies in ``classes`` classes of ``size`` students.

    A share ``textbook`` of the students write a known correct answer as it is (the solution's half the time);
    the others write one with one to three touches of their own. A copy takes the own answer of a student not
    copied yet (copies are pairs; three alike would be a common answer).

    Returns:
        (planted copies, of them flagged, flagged pairs, of them independent).
    """
    rng = random.Random(seed)
    pool = variants()
    sources = known_sources(pool)
    known = {f: sources[f] + v for f, v in known_variants(pool).items()}
    planted_n = found_n = flagged_n = independent_n = 0
    for _ in range(classes):
        for function, texts in pool.items():
            written: dict[str, str] = {}
            own: list[str] = []
            planted: set[tuple[str, str]] = set()
            for k in range(size):
                student = f"s{k:03d}"
                if own and rng.random() < copy_rate:
                    origin = own.pop(rng.randrange(len(own)))
                    text = personal(written[origin], function, rng, touches=rng.random() < 0.5)
                    planted.add((origin, student))
                elif rng.random() < textbook:
                    text = texts[0] if rng.random() < 0.5 else rng.choice(texts)
                else:
                    text = personal(rng.choice(texts), function, rng, touches=rng.randint(1, 3))
                    own.append(student)
                written[student] = rename(text, rng)
            answers = []
            for student, text in written.items():
                answers.append(make_answer(student, function, text, normalise(_function_node(ast.parse(text),
                                                                                            function))))
            pairs, _ = similar_pairs(answers, sources=known[function])
            flagged = {tuple(sorted((p.a.student, p.b.student))) for p in pairs}
            planted_n += len(planted)
            found_n += len(planted & flagged)
            flagged_n += len(flagged)
            independent_n += len(flagged - planted)
    return planted_n, found_n, flagged_n, independent_n


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=500, help="students (default 500)")
    parser.add_argument("--copy-rate", type=float, default=0.05, help="answers copied from another student")
    parser.add_argument("--stub-rate", type=float, default=0.15, help="answers left as the stub")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threshold", type=float, default=0.8)
    parser.add_argument("--quality-only", action="store_true", help="measure the quality only")
    args = parser.parse_args()
    failed = False
    for classes, size, rate in ((60, 8, 0.15), (2, 300, 0.05)):
        planted, found, flagged, independent = quality(classes, size, rate, args.seed)
        recall, false_share = found / max(planted, 1), independent / max(flagged, 1)
        ok = recall >= MIN_RECALL and false_share <= MAX_FALSE_SHARE
        failed |= not ok
        print(f"classes of {size} ({classes} classes x {len(variants())} functions): planted copies flagged "
              f"{found}/{planted} ({recall:.1%}); flagged pairs independent {independent}/{flagged} "
              f"({false_share:.1%}) {'PASS' if ok else 'FAIL'} (need >= {MIN_RECALL:.0%} and <= {MAX_FALSE_SHARE:.0%})")
    if args.quality_only:
        raise SystemExit(1 if failed else 0)
    rng = random.Random(args.seed)
    notebooks = available_notebooks()
    base = {nb: solution(nb) for nb in notebooks}
    stubs = {item.name: f"def {item.name}(*args):\n    raise NotImplementedError()\n"
             for nb in notebooks for item in items_of(nb)}
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
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    files = sum(len(f) for f in students.values())
    print(f"{args.n} students, {files} notebooks, {len(stubs)} graded functions (made in {made:.1f} s)")
    print(f"similarity report: {seconds:.2f} s wall, {cpu:.2f} s CPU ({1000 * cpu / args.n:.1f} ms CPU per student), "
          f"peak RSS {peak:.0f} MiB")
    print(f"answers compared: {sum(report.answers.values())}; stubs or too short: {sum(report.skipped.values())}; "
          f"left out as common: {sum(report.common.values())}")
    raise SystemExit(1 if failed else 0)


if __name__ == "__main__":
    main()
