"""Where expected values come from: the helpers, fairlearn, and the solution notebooks' answer cells.

The solution notebooks' answers are executed here, in the grader's own process
(they are trusted), found by their nbgrader ``grade_id``; they never reach a
student's sandbox.
"""

from __future__ import annotations

import ast
import builtins
from collections.abc import Callable
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import torch

from .notebook import Cell, SubmissionError, build_program, read_notebook
from .spec import default_solutions_dir, item_named


class ReferenceError_(RuntimeError):
    """A reference answer is not available (solutions missing or broken): a grader setup problem."""


class References:
    """Lazily loaded references shared by all students of one grading run.

    Args:
        solutions_dir: Folder of the solution notebooks (default ``solutions/ganbias`` in the clone).
    """

    def __init__(self, solutions_dir: str | Path | None = None) -> None:
        self.solutions_dir = Path(solutions_dir) if solutions_dir else default_solutions_dir()
        self._namespaces: dict[str, dict[str, Any]] = {}
        self._cells: dict[str, list[Cell]] = {}
        self._ids: dict[str, set[str | None]] = {}

    @cached_property
    def models(self) -> tuple[torch.nn.Module, torch.nn.Module]:
        """The shipped generator and classifier on the CPU (as the sandbox loads them)."""
        from ganbias_helpers.weights import load_pretrained

        return load_pretrained(device="cpu")

    @cached_property
    def steering_changes(self) -> np.ndarray:
        """Logit changes of a small real steering run toward and away from Male, ``(8, 6, 40)``."""
        from ganbias_helpers.steering import steer

        gen, classifier = self.models
        return steer(gen, classifier, "Male", n_images=6, steps=4, seed=0).changes().astype(np.float64)

    def points(self, name: str) -> float:
        """Points of ``name``: from the solution's test cell metadata, else the contract table.

        A submission's own metadata is never trusted for points (a student could edit it).
        """
        item = item_named(name)
        if item.notebook not in self._cells:
            path = self.solutions_dir / f"{item.notebook}.ipynb"
            try:
                self._cells[item.notebook] = read_notebook(path) if path.exists() else []
            except SubmissionError:
                self._cells[item.notebook] = []
        for cell in self._cells[item.notebook]:
            if cell.grade_id == item.test_id and cell.points is not None:
                return cell.points
        return float(item.points)

    def solution(self, name: str) -> Callable[..., Any]:
        """The solution notebook's function ``name``, defined from its answer cell.

        Raises:
            ReferenceError_: If the solution notebook or its answer cell is missing or does not define it.
        """
        notebook = item_named(name).notebook
        if notebook not in self._namespaces:
            path = self.solutions_dir / f"{notebook}.ipynb"
            if not path.exists():
                raise ReferenceError_(f"solution notebook {path} not found (needed for {name}); pass --solutions")
            cells = read_notebook(path)
            program = build_program(cells, notebook)
            ns: dict[str, Any] = {"__name__": f"solution_{notebook}", "__builtins__": builtins}
            for unit in program.units:
                tree = ast.parse(unit.source, filename=f"<{path.name} {unit.label}>")
                module = ast.Module(body=[tree.body[i] for i in unit.keep], type_ignores=[])
                exec(compile(module, f"<{path.name} {unit.label}>", "exec"), ns)
            self._namespaces[notebook] = ns
            self._ids[notebook] = {c.grade_id for c in cells if c.cell_type == "code"}
        if name not in self._ids[notebook]:
            raise ReferenceError_(f"{self.solutions_dir / notebook}.ipynb has no answer cell with grade_id {name!r}")
        fn = self._namespaces[notebook].get(name)
        if not callable(fn):
            raise ReferenceError_(f"the solution of {notebook} does not define {name}")
        return fn
