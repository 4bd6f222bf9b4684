"""A similarity report after a batch: answers that look copied, from another student or from a known source.

For every graded function, each student's answer (the last top-level ``def`` of that name in
their notebook) is normalised on its syntax tree: the docstring and comments go (the tree has
none), formatting goes (the tree is printed back), the arguments become ``a0, a1...`` by
position (a local that only holds an argument converted, ``labels = np.asarray(y_true)``, reads as
that argument, as ``y_true = np.asarray(y_true)`` does) and every other name the function binds
becomes ``v`` (so an inserted variable does not shift the others' names), and literals become
their kind.

Small functions invite many independent, identical answers, so two answers are not compared by
how much of their code they share but by the code of *their own* they share, in the same place.
Each feature (a normalised statement, or a pair of consecutive statements: where a statement
stands) weighs ``ln((N + 1) / n)``, where ``n`` of the ``N`` answers hold it, and nothing when a
known source or a known correct variant holds it (the solution notebooks' answer cells, the
package's own implementations of the graded computations, the corpus's correct answers). An
answer's *own* statements are those no known answer holds. Two answers share one *in place*
when both hold it next to the same statement (a rare pair both hold): a statement two students
both thought of, written somewhere else, is chance, and a copy keeps where each statement
stands. Each own statement shared in place counts once, its weight plus that of its rarest
shared pair (so a copy that puts a statement of its own next to a copied one still counts it).
A pair is flagged when the own statements it shares in place:

* weigh at least half of the shorter answer's own code (``similarity``),
* are at least half of the own statements of each of the two (a student who wrote three
  statements of their own and shares one with another student is not that student's copy),
* weigh more than chance would give some pair of the class (``evidence`` at least
  ``ln(pairs) + EVIDENCE_MARGIN``: the more pairs, the more chance matches),

and the known code of the two (what they hold of the known answers) is alike (a Jaccard index
of at least :data:`SAME_BASE`): a copy keeps the answer it starts from, and two students who
added the same statement to two different textbook answers did not copy. The report shows the
own statements they share in place, as the reason. An exact normalised answer that several
students wrote is the natural answer, never a copy, and a string alone (a docstring or comment
anywhere in the body) carries no code. Separately, an answer that is a known source under
other names is listed with the source it matches.

It only flags: no grade is read or changed. A match is a reason to look, not evidence.
``benchmarks/similarity_benchmark.py`` measures it on planted copies among independent answers.
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

#: Answers with fewer normalised tokens than this are not compared (``return x.sum()``).
MIN_TOKENS = 12
#: A pair is flagged when the own statements it shares in place weigh at least this share of the shorter answer's...
SCORE_THRESHOLD = 0.5
#: ... and weigh at least ``ln(pairs in the class) + EVIDENCE_MARGIN``: the more pairs, the more chance matches...
EVIDENCE_MARGIN = -1.5
#: ... and are at least this share of the own statements (not in a known answer) of each of the two...
OWN_SHARE = 0.5
#: ... and the two answers' known statements are this alike (Jaccard index): a copy keeps the answer it starts from.
SAME_BASE = 0.7
#: An exact normalised answer written by at least this many students is common, whatever their share.
COMMON_MIN = 3
#: A known source matches an answer holding at least this share of the source's features.
SOURCE_MATCH = 0.9
_TOKEN = re.compile(r"[A-Za-z_]\w*|\d+|\S")


@dataclass
class Answer:
    """One student's answer to one graded function."""

    student: str
    function: str
    source: str
    normalised: str
    statements: dict[int, str] = field(default_factory=dict)
    sequence: frozenset[int] = field(default_factory=frozenset)
    contexts: dict[int, frozenset[int]] = field(default_factory=dict)

    @property
    def features(self) -> frozenset[int]:
        """Its statements and pairs of consecutive statements (hashed): what rarity is counted on."""
        return self.sequence | frozenset(self.statements)

    @property
    def digest(self) -> str:
        """Hash of the normalised answer (identical answers share it)."""
        return hashlib.sha256(self.normalised.encode()).hexdigest()[:16]


class _Renamer(ast.NodeTransformer):
    """Rename the arguments ``a0, a1...`` by position and every other bound name ``v``; literals become their kind."""

    def __init__(self, bound: set[str], arguments: list[str]) -> None:
        self.bound = bound
        self.names = {name: f"a{i}" for i, name in enumerate(arguments)}

    def _new(self, name: str) -> str:
        if name not in self.bound:
            return name
        return self.names.get(name, "v")

    def alias(self, fn: ast.FunctionDef) -> None:
        """Name ``a<i>`` a local that only ever holds argument ``i`` converted (``labels = np.asarray(y_true)``).

        So that it reads as the answer that rebinds the argument itself (``y_true = np.asarray(y_true)``): a
        copy that renames its arguments' converted copies reads as what it copies.
        """
        stores: dict[str, int] = defaultdict(int)
        for node in ast.walk(fn):
            if isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)):
                stores[node.id] += 1
        for statement in fn.body:
            if not isinstance(statement, ast.Assign) or len(statement.targets) != 1:
                continue
            target, value = statement.targets[0], statement.value
            pairs = list(zip(target.elts, value.elts)) if isinstance(target, ast.Tuple) and \
                isinstance(value, ast.Tuple) and len(target.elts) == len(value.elts) else [(target, value)]
            for name, held in pairs:
                argument = _converted_argument(held)
                if isinstance(name, ast.Name) and name.id not in self.names and stores[name.id] == 1 and \
                        argument in self.names and list(self.names.values()).count(self.names[argument]) == 1:
                    self.names[name.id] = self.names[argument]

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
        node.decorator_list = []
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


#: Calls that convert an argument without computing from it (``np.asarray(y_true)``, ``x.astype(int)``).
CONVERSIONS = frozenset({"asarray", "array", "as_tensor", "tensor", "from_numpy", "ravel", "flatten", "astype",
                         "copy", "clone", "detach", "float", "double", "int", "long", "numpy", "cpu", "tolist",
                         "list", "tuple", "Series"})


def _converted_argument(value: ast.expr) -> str | None:
    """The name ``value`` converts (``np.asarray(name).astype(int)``...), or None when it computes more."""
    while isinstance(value, ast.Call) and all(k.arg in ("dtype", "copy") for k in value.keywords):
        func = value.func
        called = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else None
        if called not in CONVERSIONS:
            return None
        if isinstance(func, ast.Attribute) and not value.args and called not in ("asarray", "array"):
            value = func.value  # a method of the converted value: x.astype(int), x.ravel()
        elif value.args and (called in ("astype",) or not isinstance(func, ast.Attribute) or
                             isinstance(func.value, ast.Name)):
            value = value.args[0] if called != "astype" else func.value
        else:
            return None
    return value.id if isinstance(value, ast.Name) else None


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
    arguments = [a.arg for a in tree.args.posonlyargs + tree.args.args + tree.args.kwonlyargs]
    tree.name = "F"
    tree.decorator_list = []
    renamer = _Renamer(bound, arguments)
    renamer.alias(tree)
    return ast.unparse(renamer.visit(tree))  # unparse needs no line numbers


def _line(node: ast.stmt) -> str:
    """A statement alone: a compound statement (for, if, with, while, try, def) by its header."""
    return ast.unparse(node).split("\n", 1)[0] if hasattr(node, "body") else ast.unparse(node)


def _blocks(normalised: str) -> list[list[ast.stmt]]:
    try:
        fn = ast.parse(normalised).body[0]
    except (SyntaxError, IndexError, ValueError, RecursionError, MemoryError):
        return []
    blocks = []
    for node in ast.walk(fn):
        for name in ("body", "orelse", "finalbody"):
            block = getattr(node, name, None)
            if isinstance(block, list) and block and isinstance(block[0], ast.stmt):
                blocks.append(block)
    return blocks


#: Statements that carry no code: a string alone (a docstring or comment in any place), ``pass``, a bare header.
_EMPTY = frozenset({"pass", "else:", "try:", "STR", "..."})


def _lines(normalised: str) -> list[list[str]]:
    """Each block's statements, each alone (a compound statement by its header), without the empty ones."""
    return [[text for text in map(_line, block) if text not in _EMPTY] for block in _blocks(normalised)]


def _parts(normalised: str) -> tuple[dict[int, str], frozenset[int], dict[int, frozenset[int]]]:
    """Statements by hash, pairs of consecutive statements (hashes), and each statement's pairs (where it stands)."""
    found: dict[int, str] = {}
    contexts: dict[int, set[int]] = defaultdict(set)
    for lines in _lines(normalised):
        ext = ["<start>", *lines, "<end>"]
        for a, b in zip(ext, ext[1:]):
            pair = hash(("pair", a, b))
            for text in (a, b):
                if text not in ("<start>", "<end>"):
                    h = hash(("stmt", text))
                    found[h] = text
                    contexts[h].add(pair)
    return found, frozenset().union(*contexts.values()), {h: frozenset(c) for h, c in contexts.items()}


def statements(normalised: str) -> dict[int, str]:
    """The normalised answer's statements, each alone, by hash."""
    return _parts(normalised)[0]


def sequence(normalised: str) -> frozenset[int]:
    """Hashes of the pairs of consecutive statements of each block (where each statement stands)."""
    return _parts(normalised)[1]


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


def make_answer(student: str, function: str, source: str, normalised: str) -> Answer:
    """An :class:`Answer` with its features computed."""
    found, pairs, contexts = _parts(normalised)
    return Answer(student, function, source, normalised, found, pairs, contexts)


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
                per_function[name].append(make_answer(student, name, node.source_text, text))
    return per_function, skipped


@dataclass
class Pair:
    """Two students whose answers to one function share rare code.

    Attributes:
        function: The graded function.
        a: One answer.
        b: The other.
        similarity: Weight of the own statements both wrote in the same place over the weight of the shorter
            answer's own statements (0 to 1).
        evidence: Weight of the own statements both wrote in the same place (about ``2 ln(N / 2)`` for each
            that only these two of ``N`` students wrote).
        shared: The rarest of those statements, as the reason to look.
    """

    function: str
    a: Answer
    b: Answer
    similarity: float
    evidence: float = 0.0
    shared: list[str] = field(default_factory=list)

    @property
    def identical(self) -> bool:
        """Identical once names, comments, literals and formatting are normalised."""
        return self.a.normalised == self.b.normalised


@dataclass
class Source:
    """A known source of a graded computation: a solution's answer cell or the package's own implementation.

    Attributes:
        name: Where it is (for the report).
        normalised: Its normalised code.
        features: Its features (as an answer's).
    """

    name: str
    normalised: str
    features: frozenset[int]


@dataclass
class SourceMatch:
    """An answer that is a known source under other names."""

    function: str
    answer: Answer
    source: str
    share: float


def known_sources(functions: Iterable[str], solutions: Path | None = None) -> dict[str, list[Source]]:
    """Known sources per graded function: the solution notebooks' answer cells and the package's graded code.

    ``solutions`` (default: ``solutions/ganbias`` of this checkout, the instructor's side) holds the solution
    notebooks; where it is missing only the package's implementations are used. Every graded implementation
    of :mod:`ganbias_helpers.reference` is a source for every function (a student may copy any of them).
    """
    from ganbias_helpers import reference

    from .items import ASSIGNMENT, item_named
    from .notebook import SubmissionError, read_notebook

    solutions = solutions or Path(__file__).resolve().parent.parent / "solutions" / ASSIGNMENT
    package: list[Source] = []
    for node in reference._graded_functions(ast.parse(Path(reference.__file__).read_text(encoding="utf-8"))):
        text = normalise(node)
        package.append(Source(f"ganbias_helpers/reference.py: {node.name}", text, _features(text)))
    found: dict[str, list[Source]] = {}
    for function in functions:
        found[function] = list(package)
        path = solutions / f"{item_named(function).notebook}.ipynb"
        try:
            cells = read_notebook(path)
        except (SubmissionError, OSError):
            continue
        node = answers_in_source([c.source for c in cells if c.cell_type == "code"], [function]).get(function)
        if node is not None:
            text = normalise(node)
            found[function].append(Source(f"solutions/{ASSIGNMENT}/{path.name}: {function}", text, _features(text)))
    return found


def known_variants(functions: Iterable[str], corpus: Path | None = None) -> dict[str, list[Source]]:
    """Correct answers the course already knows per graded function (``tests/corpus/<function>/correct_*.py``).

    Code they hold is the textbook answer of a small function: it weighs nothing, like a known source's,
    but an answer matching one is not listed (the corpus is not published).
    """
    corpus = corpus or Path(__file__).resolve().parent.parent / "tests" / "corpus"
    found: dict[str, list[Source]] = {}
    for function in functions:
        found[function] = []
        for path in sorted((corpus / function).glob("correct_*.py")):
            try:
                node = answers_in_source([path.read_text(encoding="utf-8")], [function]).get(function)
            except (OSError, UnicodeDecodeError):
                continue
            if node is not None:
                text = normalise(node)
                found[function].append(Source(f"tests/corpus/{function}/{path.name}", text, _features(text)))
    return found


def _features(normalised: str) -> frozenset[int]:
    return make_answer("", "", "", normalised).features


def _weights(answers: list[Answer], sources: list[Source]) -> dict[int, float]:
    """Each feature's rarity: ``ln((N + 1) / n)`` for a feature ``n`` of ``N`` answers hold, 0 in a known source."""
    import math

    counts: dict[int, int] = defaultdict(int)
    for answer in answers:
        for f in answer.features:
            counts[f] += 1
    known = frozenset().union(*(s.features for s in sources)) if sources else frozenset()
    n = len(answers)
    return {f: 0.0 if f in known else math.log((n + 1) / c) for f, c in counts.items()}


def _own(answer: Answer, weights: dict[int, float]) -> list[int]:
    """The answer's own statements: those no known source or known correct variant holds (they weigh something)."""
    return [h for h in answer.statements if weights.get(h, 0.0) > 0]


def _own_weight(answer: Answer, h: int, weights: dict[int, float], contexts: Iterable[int] | None = None) -> float:
    """An own statement's weight: its rarity plus that of its rarest place (of ``contexts``, default all of its)."""
    places = answer.contexts.get(h, frozenset()) if contexts is None else contexts
    return weights[h] + max((weights.get(g, 0.0) for g in places), default=0.0)


def _compare(x: Answer, y: Answer, weights: dict[int, float]) -> tuple[float, float, list[int], int] | None:
    """How two answers' own code compares: (similarity, evidence, own statements shared in place, most own statements).

    An own statement is shared *in place* when both hold it next to the same statement (a rare pair of consecutive
    statements both hold): a statement two students both thought of, somewhere else, is chance.
    """
    own_x, own_y = _own(x, weights), _own(y, weights)
    if not own_x or not own_y:
        return None
    shared, evidence = [], 0.0
    for h in own_x:
        places = [g for g in x.contexts.get(h, ()) if g in y.contexts.get(h, ()) and weights.get(g, 0.0) > 0]
        if places:
            shared.append(h)
            evidence += _own_weight(x, h, weights, places)
    if not shared:
        return None
    total = min(sum(_own_weight(x, h, weights) for h in own_x), sum(_own_weight(y, h, weights) for h in own_y))
    return evidence / max(total, 1e-12), evidence, shared, max(len(own_x), len(own_y))


def _same_base(x: Answer, y: Answer, weights: dict[int, float]) -> float:
    """Jaccard index of the two answers' known statements (1 when neither has any): whether they build on the same."""
    known_x = {h for h in x.statements if weights.get(h, 0.0) == 0}
    known_y = {h for h in y.statements if weights.get(h, 0.0) == 0}
    union = known_x | known_y
    return len(known_x & known_y) / len(union) if union else 1.0


def similar_pairs(answers: list[Answer], threshold: float = SCORE_THRESHOLD, common_min: int = COMMON_MIN,
                  sources: list[Source] | None = None, min_evidence: float | None = None) -> tuple[list[Pair], int]:
    """Pairs of answers that share rare code in the same place (see the module's docstring).

    A pair is kept when:

    * its ``similarity`` (the weight of the own statements both wrote in the same place, over the weight of the
      shorter answer's own statements) is at least ``threshold``;
    * those statements are at least :data:`OWN_SHARE` of the own statements of each of the two;
    * their known code (what they share with the known sources and variants) is alike, a Jaccard index of at least
      :data:`SAME_BASE`: a copy keeps the answer it starts from;
    * its ``evidence`` is at least ``min_evidence`` (default: ``ln(N (N - 1) / 2) + EVIDENCE_MARGIN`` for ``N``
      answers: a match that chance would give some pair of a large class needs more).

    ``sources``: known sources and known correct variants (their code weighs nothing and is no one's own).
    Exact normalised answers written alike by at least ``common_min`` students are left out: that is the
    natural answer, not a copy.

    Returns:
        The pairs (most similar first) and how many answers were left out as common.
    """
    by_digest: dict[str, list[Answer]] = defaultdict(list)
    for answer in answers:
        by_digest[answer.digest].append(answer)
    common = {d for d, group in by_digest.items() if len(group) >= common_min}
    weights = _weights(answers, sources or [])
    kept = [a for a in answers if a.digest not in common]
    pairs: list[Pair] = []
    if len(kept) < 2:
        return pairs, len(answers) - len(kept)
    import math

    import numpy as np
    from scipy import sparse

    if min_evidence is None:
        min_evidence = math.log(max(len(answers) * (len(answers) - 1) / 2, 1)) + EVIDENCE_MARGIN
    # Candidates at once, from a sparse answers x features matrix times its transpose: the weight of the rare
    # statements two answers share plus twice that of the rare pairs they share bounds their evidence from above
    # (each own statement counts one pair, and a pair holds two statements); only pairs reaching the bar are compared.
    vocab: dict[int, int] = {}
    rows, cols, vals = [], [], []
    for i, answer in enumerate(kept):
        for f in answer.features:
            w = weights.get(f, 0.0) * (2 if f in answer.sequence else 1)
            if w > 0:
                rows.append(i)
                cols.append(vocab.setdefault(f, len(vocab)))
                vals.append(np.sqrt(w))
    matrix = sparse.csr_matrix((np.asarray(vals, dtype=np.float64), (rows, cols)), shape=(len(kept), len(vocab)))
    inter = (matrix @ matrix.T).tocoo()
    chosen = (inter.row < inter.col) & (inter.data >= min_evidence)
    for a, b in zip(inter.row[chosen], inter.col[chosen]):
        x, y = kept[a], kept[b]
        compared = _compare(x, y, weights)
        if compared is None:
            continue
        score, evidence, shared, most = compared
        if score < threshold or evidence < min_evidence or len(shared) < OWN_SHARE * most \
                or _same_base(x, y, weights) < SAME_BASE:
            continue
        shared.sort(key=lambda h: -weights[h])
        pairs.append(Pair(x.function, x, y, round(float(min(score, 1.0)), 4), round(float(evidence), 2),
                          [x.statements[h] for h in shared[:4]]))
    pairs.sort(key=lambda p: (-p.similarity, -p.evidence, p.a.student, p.b.student))
    return pairs, len(answers) - len(kept)


def source_matches(answers: list[Answer], sources: list[Source]) -> list[SourceMatch]:
    """Answers holding at least :data:`SOURCE_MATCH` of a known source's features (the best source each)."""
    found = []
    for answer in answers:
        best: tuple[float, str] | None = None
        for source in sources:
            if not source.features:
                continue
            share = len(source.features & answer.features) / len(source.features)
            if share >= SOURCE_MATCH and (best is None or share > best[0]):
                best = (share, source.name)
        if best is not None:
            found.append(SourceMatch(answer.function, answer, best[1], round(best[0], 3)))
    return found


@dataclass
class Report:
    """What :func:`similarity_report` found."""

    pairs: list[Pair]
    answers: dict[str, int]
    skipped: dict[str, int]
    common: dict[str, int]
    seconds: float
    threshold: float
    matches: list[SourceMatch] = field(default_factory=list)

    def text(self) -> str:
        """Summary lines for the terminal."""
        lines = [f"similarity: {len(self.pairs)} pairs share rare code, {len(self.matches)} answers match a known "
                 f"source ({sum(self.answers.values())} answers compared in {self.seconds:.1f} s; flags only, "
                 "grades unchanged)"]
        per: dict[str, list[int]] = defaultdict(lambda: [0, 0])
        for pair in self.pairs:
            per[pair.function][0] += 1
        for match in self.matches:
            per[match.function][1] += 1
        for name, (n, m) in per.items():
            lines.append(f"  {name:<34} {n} pairs, {m} known-source matches")
        return "\n".join(lines)


def similarity_report(students: dict[str, list[str | Path]], out: str | Path, threshold: float = SCORE_THRESHOLD,
                      solutions: Path | None = None) -> Report:
    """Compare students' answers pairwise per graded function, and each with the known sources.

    Writes ``similarity.html`` and ``similarity.csv`` into ``out``.
    """
    from .items import all_items
    from .records import write_atomic, write_csv_rows

    started = time.monotonic()
    per_function, skipped = collect_answers(students)
    names = [item.name for item in all_items()]
    sources, variants = known_sources(names, solutions), known_variants(names)
    pairs: list[Pair] = []
    matches: list[SourceMatch] = []
    common: dict[str, int] = {}
    counts: dict[str, int] = {}
    for item in all_items():
        answers = per_function.get(item.name, [])
        counts[item.name] = len(answers)
        found, common[item.name] = similar_pairs(answers, threshold,
                                                 sources=sources[item.name] + variants[item.name])
        pairs += found
        matches += source_matches(answers, sources[item.name])
    report = Report(pairs, counts, dict(skipped), common, time.monotonic() - started, threshold, matches)
    out = Path(out)
    rows = [[p.function, p.a.student, p.b.student, f"{p.similarity:.3f}", f"{p.evidence:.1f}", p.identical,
             " | ".join(p.shared), p.a.source, p.b.source] for p in pairs]
    rows += [[m.function, m.answer.student, m.source, f"{m.share:.3f}", "", "", "matches a known source",
              m.answer.source, ""] for m in matches]
    write_csv_rows(out / "similarity.csv", ["function", "student_a", "student_b", "similarity", "evidence",
                                            "identical_after_normalising", "why", "answer_a", "answer_b"], rows)
    write_atomic(out / "similarity.html", render_html(report))
    return report


def render_html(report: Report) -> str:
    """The report as one self-contained HTML page (students' code escaped, never rendered)."""
    e = html.escape
    parts = ["<!doctype html><html lang='en'><head><meta charset='utf-8'><title>Similarity report</title><style>",
             "body{font-family:sans-serif;margin:2em}table{border-collapse:collapse;width:100%}"
             "td,th{border:1px solid #ccc;padding:4px;vertical-align:top}pre{margin:0;font-size:12px;"
             "white-space:pre-wrap}th{background:#eee}.id{color:#b00;font-weight:bold}",
             "</style></head><body><h1>Similarity report</h1>",
             "<p>Pairs of answers that share, in the same place, code of their own that few others wrote (names, "
             "comments, literals and formatting normalised; code that many students or a known source or known correct "
             "answer hold counts for nothing), and answers that are "
             "a known source (a solution notebook, the package's own code) under other names. <b>These are flags, "
             "not findings: no grade was changed.</b> Answers left as the stub or very short, and an answer many "
             "students wrote alike, are not listed.</p>",
             "<table><tr><th>function</th><th>answers compared</th><th>stub or too short</th>"
             "<th>common answers left out</th><th>pairs</th><th>known-source matches</th></tr>"]
    per: dict[str, list[Pair]] = defaultdict(list)
    for pair in report.pairs:
        per[pair.function].append(pair)
    per_source: dict[str, list[SourceMatch]] = defaultdict(list)
    for match in report.matches:
        per_source[match.function].append(match)
    for name, n in report.answers.items():
        parts.append(f"<tr><td><a href='#{e(name)}'>{e(name)}</a></td><td>{n}</td>"
                     f"<td>{report.skipped.get(name, 0)}</td><td>{report.common.get(name, 0)}</td>"
                     f"<td>{len(per.get(name, []))}</td><td>{len(per_source.get(name, []))}</td></tr>")
    parts.append("</table>")
    for name in report.answers:
        pairs, matches = per.get(name, []), per_source.get(name, [])
        if not pairs and not matches:
            continue
        parts.append(f"<h2 id='{e(name)}'>{e(name)}: {len(pairs)} pairs, {len(matches)} known-source matches</h2>")
        if pairs:
            parts.append("<table><tr><th>why flagged</th><th>student A</th><th>student B</th></tr>")
            for p in pairs:
                mark = "<br><span class='id'>identical after normalising</span>" if p.identical else ""
                why = "".join(f"<li><code>{e(s)}</code></li>" for s in p.shared)
                parts.append(f"<tr><td>{p.similarity:.0%} of the rarer code of their own shared (weight "
                             f"{p.evidence:.1f}){mark}<br>rare statements both wrote, in the same place:<ul>{why}</ul>"
                             f"</td><td><b>{e(p.a.student)}</b><pre>{e(p.a.source)}</pre></td>"
                             f"<td><b>{e(p.b.student)}</b><pre>{e(p.b.source)}</pre>"
                             "</td></tr>")
            parts.append("</table>")
        if matches:
            parts.append("<table><tr><th>student</th><th>matches</th><th>answer</th></tr>")
            for m in matches:
                parts.append(f"<tr><td><b>{e(m.answer.student)}</b></td><td>{e(m.source)} ({m.share:.0%} of its "
                             f"code)</td><td><pre>{e(m.answer.source)}</pre></td></tr>")
            parts.append("</table>")
    parts.append(f"<p>{len(report.pairs)} pairs and {len(report.matches)} known-source matches; computed in "
                 f"{report.seconds:.1f} s.</p></body></html>\n")
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
    parser.add_argument("--threshold", type=float, default=SCORE_THRESHOLD)
    args = parser.parse_args(argv)
    report = similarity_report(students_in(args.out), args.out, args.threshold)
    print(report.text())
    print(f"report in {Path(args.out) / 'similarity.html'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
