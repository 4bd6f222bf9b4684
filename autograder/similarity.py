"""A similarity report after a batch: students' answers that are the same code under other names.

For every graded function, each student's answer (the last top-level ``def`` of that name in
their notebook) is normalised on its syntax tree: the docstring and comments go (the tree has
none), formatting goes (the tree is printed back), every name the function binds (arguments,
locals, loop and comprehension variables, inner functions) becomes ``v0, v1...`` in order of
first use, and literals become their kind. Two answers are compared by the Jaccard index of
their normalised token 5-grams; pairs at or above a threshold are listed in
``similarity.html`` (both answers side by side, as the students wrote them) and
``similarity.csv``. Answers left as the stub, very short ones, and normalised answers that a
large share of the class wrote alike (the natural solution of a small function) are not
listed; the summary counts them.

It only flags: no grade is read or changed. A match is a reason to look, not evidence.
"""

from __future__ import annotations

import argparse
import ast
import hashlib
import html
import json
import re
import time
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

#: Token n-grams compared.
SHINGLE = 5
#: Answers with fewer normalised tokens than this are not compared (``return x.sum()``).
MIN_TOKENS = 25
_TOKEN = re.compile(r"[A-Za-z_]\w*|\d+|\S")


@dataclass
class Answer:
    """One student's answer to one graded function."""

    student: str
    function: str
    source: str
    normalised: str
    shingles: frozenset[int] = field(default_factory=frozenset)

    @property
    def digest(self) -> str:
        """Hash of the normalised answer (identical answers share it)."""
        return hashlib.sha256(self.normalised.encode()).hexdigest()[:16]


class _Renamer(ast.NodeTransformer):
    """Rename what a function binds to ``v0, v1...`` (first use first); literals become their kind."""

    def __init__(self, bound: set[str]) -> None:
        self.bound = bound
        self.names: dict[str, str] = {}

    def _new(self, name: str) -> str:
        if name not in self.bound:
            return name
        return self.names.setdefault(name, f"v{len(self.names)}")

    def visit_Name(self, node: ast.Name) -> ast.AST:  # noqa: D102, N802
        node.id = self._new(node.id)
        return node

    def visit_arg(self, node: ast.arg) -> ast.AST:  # noqa: D102
        node.arg = self._new(node.arg)
        node.annotation = None
        return node

    def visit_FunctionDef(self, node: ast.FunctionDef) -> ast.AST:  # noqa: D102, N802
        node.name = self._new(node.name)
        node.returns = None
        body = node.body
        if body and isinstance(body[0], ast.Expr) and isinstance(getattr(body[0], "value", None), ast.Constant) \
                and isinstance(body[0].value.value, str):
            node.body = body[1:] or [ast.Pass()]
        self.generic_visit(node)
        return node

    visit_AsyncFunctionDef = visit_FunctionDef  # noqa: N815

    def visit_Constant(self, node: ast.Constant) -> ast.AST:  # noqa: D102, N802
        value = node.value
        if isinstance(value, str):
            return ast.Name("STR", ast.Load())
        if isinstance(value, (int, float, complex)) and not isinstance(value, bool):
            return ast.Name("NUM", ast.Load())
        return node


def _bound_names(fn: ast.FunctionDef) -> set[str]:
    names = set()
    for node in ast.walk(fn):
        if isinstance(node, ast.arg):
            names.add(node.arg)
        elif isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)):
            names.add(node.id)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and node is not fn:
            names.add(node.name)
        elif isinstance(node, ast.ExceptHandler) and node.name:
            names.add(node.name)
    return names


def normalise(fn: ast.FunctionDef, in_place: bool = False) -> str:
    """The function's code with its own names, docstring, literals and formatting normalised away.

    With ``in_place`` the tree itself is rewritten (faster; for a tree that is not used after).
    """
    import copy

    tree = fn if in_place else copy.deepcopy(fn)
    bound = _bound_names(tree)
    tree.name = "F"
    tree.decorator_list = []
    return ast.unparse(_Renamer(bound).visit(tree))  # unparse needs no line numbers


def is_stub(fn: ast.FunctionDef) -> bool:
    """Whether the body is only a docstring, ``pass``, ``...`` or ``raise NotImplementedError``."""
    for stmt in fn.body:
        if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant):
            continue
        if isinstance(stmt, ast.Pass):
            continue
        if isinstance(stmt, ast.Raise) and "NotImplementedError" in ast.unparse(stmt):
            continue
        return False
    return True


def shingles(text: str, k: int = SHINGLE) -> frozenset[int]:
    """Hashes of the token k-grams of a normalised answer."""
    tokens = _TOKEN.findall(text)
    if len(tokens) < k:
        return frozenset([hash(tuple(tokens))])
    return frozenset(hash(tuple(tokens[i:i + k])) for i in range(len(tokens) - k + 1))


def answers_in_source(code_cells: Iterable[str], functions: Iterable[str]) -> dict[str, ast.FunctionDef]:
    """The last top-level definition of each of ``functions`` in a notebook's code cells."""
    from .notebook import neutralise_magics

    wanted = set(functions)
    found: dict[str, tuple[ast.FunctionDef, str]] = {}
    pattern = re.compile(r"\bdef\s+(" + "|".join(re.escape(w) for w in sorted(wanted)) + r")\s*\(")
    for text in code_cells:
        if not wanted or not pattern.search(text):  # most cells define none of them: not parsed
            continue
        try:
            tree = ast.parse(neutralise_magics(text))
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            continue
        for node in tree.body:
            if isinstance(node, ast.FunctionDef) and node.name in wanted:
                found[node.name] = (node, text)
    result = {}
    for name, (node, text) in found.items():
        node.source_text = ast.get_source_segment(text, node) or ast.unparse(node)  # type: ignore[attr-defined]
        result[name] = node
    return result


def collect_answers(students: dict[str, list[str | Path]]) -> tuple[dict[str, list[Answer]], dict[str, int]]:
    """Every student's answers, per graded function, read from their notebooks (never run).

    Returns:
        Function -> answers, and function -> how many students left it as the stub (or too short).
    """
    from .items import items_of
    from .notebook import SubmissionError, identify_notebook, read_notebook

    per_function: dict[str, list[Answer]] = defaultdict(list)
    skipped: dict[str, int] = defaultdict(int)
    for student, files in sorted(students.items()):
        for path in files:
            try:
                cells = read_notebook(path)
            except (SubmissionError, OSError):
                continue
            notebook = identify_notebook(path, cells)
            if notebook is None:
                continue
            names = [item.name for item in items_of(notebook)]
            code = [c.source for c in cells if c.cell_type == "code"]
            for name, node in answers_in_source(code, names).items():
                if is_stub(node):
                    skipped[name] += 1
                    continue
                text = normalise(node, in_place=True)
                if len(_TOKEN.findall(text)) < MIN_TOKENS:
                    skipped[name] += 1
                    continue
                per_function[name].append(Answer(student, name, node.source_text, text, shingles(text)))
    return per_function, skipped


@dataclass
class Pair:
    """Two students whose answers to one function look alike."""

    function: str
    a: Answer
    b: Answer
    similarity: float

    @property
    def identical(self) -> bool:
        """Identical once names, comments, literals and formatting are normalised."""
        return self.a.normalised == self.b.normalised


def similar_pairs(answers: list[Answer], threshold: float = 0.8, common_fraction: float = 0.2,
                  common_min: int = 5) -> tuple[list[Pair], int]:
    """Pairs of answers with Jaccard similarity at least ``threshold``.

    Normalised answers written alike by more than ``common_fraction`` of the answers (and at least
    ``common_min`` students) are left out: that is the natural answer, not a copy.

    Returns:
        The pairs (most similar first) and how many answers were left out as common.
    """
    by_digest: dict[str, list[Answer]] = defaultdict(list)
    for answer in answers:
        by_digest[answer.digest].append(answer)
    common = {d for d, group in by_digest.items()
              if len(group) >= common_min and len(group) > common_fraction * len(answers)}
    kept = [a for a in answers if a.digest not in common]
    pairs = []
    if len(kept) < 2:
        return pairs, len(answers) - len(kept)
    # Every pair at once: intersection sizes from a sparse answers x k-grams matrix times its transpose.
    import numpy as np
    from scipy import sparse

    vocab: dict[int, int] = {}
    rows, cols = [], []
    for i, answer in enumerate(kept):
        for s in answer.shingles:
            rows.append(i)
            cols.append(vocab.setdefault(s, len(vocab)))
    matrix = sparse.csr_matrix((np.ones(len(rows), dtype=np.float32), (rows, cols)), shape=(len(kept), len(vocab)))
    inter = (matrix @ matrix.T).tocoo()
    sizes = np.asarray(matrix.sum(axis=1)).ravel()
    upper = inter.row < inter.col
    i, j, n = inter.row[upper], inter.col[upper], inter.data[upper]
    jaccard = n / (sizes[i] + sizes[j] - n)
    for a, b, score in zip(i[jaccard >= threshold], j[jaccard >= threshold], jaccard[jaccard >= threshold]):
        pairs.append(Pair(kept[a].function, kept[a], kept[b], round(float(score), 4)))
    pairs.sort(key=lambda p: (-p.similarity, p.a.student, p.b.student))
    return pairs, len(answers) - len(kept)


@dataclass
class Report:
    """What :func:`similarity_report` found."""

    pairs: list[Pair]
    answers: dict[str, int]
    skipped: dict[str, int]
    common: dict[str, int]
    seconds: float
    threshold: float

    def text(self) -> str:
        """Summary lines for the terminal."""
        lines = [f"similarity: {len(self.pairs)} pairs at or above {self.threshold:g} "
                 f"({sum(self.answers.values())} answers compared in {self.seconds:.1f} s; flags only, grades "
                 "unchanged)"]
        per: dict[str, int] = defaultdict(int)
        for pair in self.pairs:
            per[pair.function] += 1
        for name, n in per.items():
            lines.append(f"  {name:<34} {n} pairs")
        return "\n".join(lines)


def similarity_report(students: dict[str, list[str | Path]], out: str | Path, threshold: float = 0.8,
                      common_fraction: float = 0.2) -> Report:
    """Compare every pair of students' answers per graded function; write ``similarity.html`` and ``.csv``."""
    from .grading import write_atomic, write_csv_rows
    from .items import all_items

    started = time.monotonic()
    per_function, skipped = collect_answers(students)
    pairs: list[Pair] = []
    common: dict[str, int] = {}
    counts: dict[str, int] = {}
    for item in all_items():
        answers = per_function.get(item.name, [])
        counts[item.name] = len(answers)
        found, common[item.name] = similar_pairs(answers, threshold, common_fraction)
        pairs += found
    report = Report(pairs, counts, dict(skipped), common, time.monotonic() - started, threshold)
    out = Path(out)
    write_csv_rows(out / "similarity.csv", ["function", "student_a", "student_b", "similarity",
                                            "identical_after_normalising", "answer_a", "answer_b"],
                   [[p.function, p.a.student, p.b.student, f"{p.similarity:.3f}", p.identical, p.a.source, p.b.source]
                    for p in pairs])
    write_atomic(out / "similarity.html", render_html(report))
    return report


def render_html(report: Report) -> str:
    """The report as one self-contained HTML page (students' code escaped, never rendered)."""
    e = html.escape
    parts = ["<!doctype html><html><head><meta charset='utf-8'><title>Similarity report</title><style>",
             "body{font-family:sans-serif;margin:2em}table{border-collapse:collapse;width:100%}"
             "td,th{border:1px solid #ccc;padding:4px;vertical-align:top}pre{margin:0;font-size:12px;"
             "white-space:pre-wrap}th{background:#eee}.id{color:#b00;font-weight:bold}",
             "</style></head><body><h1>Similarity report</h1>",
             f"<p>Pairs of answers at or above {report.threshold:g} (Jaccard index of token 5-grams after names, "
             "comments, literals and formatting are normalised). <b>These are flags, not findings: no grade was "
             "changed.</b> Answers left as the stub or very short, and answers most of the class wrote alike, are "
             "not listed.</p>", "<table><tr><th>function</th><th>answers compared</th><th>stub or too short</th>"
             "<th>common answers left out</th><th>pairs</th></tr>"]
    per: dict[str, list[Pair]] = defaultdict(list)
    for pair in report.pairs:
        per[pair.function].append(pair)
    for name, n in report.answers.items():
        parts.append(f"<tr><td><a href='#{e(name)}'>{e(name)}</a></td><td>{n}</td>"
                     f"<td>{report.skipped.get(name, 0)}</td><td>{report.common.get(name, 0)}</td>"
                     f"<td>{len(per.get(name, []))}</td></tr>")
    parts.append("</table>")
    for name, pairs in per.items():
        parts.append(f"<h2 id='{e(name)}'>{e(name)}: {len(pairs)} pairs</h2><table>"
                     "<tr><th>similarity</th><th>student A</th><th>student B</th></tr>")
        for p in pairs:
            mark = " <span class='id'>identical after normalising</span>" if p.identical else ""
            parts.append(f"<tr><td>{p.similarity:.3f}{mark}</td><td><b>{e(p.a.student)}</b><pre>{e(p.a.source)}"
                         f"</pre></td><td><b>{e(p.b.student)}</b><pre>{e(p.b.source)}</pre></td></tr>")
        parts.append("</table>")
    parts.append(f"<p>{len(report.pairs)} pairs; computed in {report.seconds:.1f} s.</p></body></html>\n")
    return "".join(parts)


def students_in(out: str | Path) -> dict[str, list[str]]:
    """Student id -> their notebook files, from a batch's ``results/*.json``."""
    students = {}
    for path in sorted(Path(out, "results").glob("*.json")):
        if path.is_symlink():
            continue
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            students[data["student"]] = [str(f) for f in data.get("files", [])]
        except (ValueError, KeyError, TypeError):
            continue
    return students


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m autograder.similarity OUT``: the report for a batch graded into OUT."""
    parser = argparse.ArgumentParser(prog="python -m autograder.similarity", description=__doc__.split("\n")[0])
    parser.add_argument("out", help="the --out folder of a `ganbias grade` run")
    parser.add_argument("--threshold", type=float, default=0.8)
    parser.add_argument("--common-fraction", type=float, default=0.2)
    args = parser.parse_args(argv)
    report = similarity_report(students_in(args.out), args.out, args.threshold, args.common_fraction)
    print(report.text())
    print(f"report in {Path(args.out) / 'similarity.html'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
