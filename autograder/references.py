"""Where expected values come from: the helpers, fairlearn, and the solution notebooks' answer cells.

The solution notebooks' answers are executed here, in the grader's own process
(they are trusted), found by their nbgrader ``grade_id``; they never reach a
student's sandbox.
"""

from __future__ import annotations

import builtins
from collections.abc import Callable
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import torch

from .notebook import Cell, SubmissionError, build_program, compile_unit, read_notebook
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
        self._cells: dict[str, list[Cell] | None] = {}

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
        try:
            cells = self._solution_cells(item.notebook) or []
        except SubmissionError:
            cells = []
        for cell in cells:
            if cell.grade_id == item.test_id and cell.points is not None:
                return cell.points
        return float(item.points)

    def _solution_cells(self, notebook: str) -> list[Cell] | None:
        """The solution notebook's cells, read once; None if the file is missing.

        Raises:
            SubmissionError: If the file is not a readable notebook (asked again, it is read again).
        """
        if notebook not in self._cells:
            path = self.solutions_dir / f"{notebook}.ipynb"
            self._cells[notebook] = read_notebook(path) if path.exists() else None
        return self._cells[notebook]

    def solution(self, name: str) -> Callable[..., Any]:
        """The solution notebook's function ``name``, defined from its answer cell.

        Raises:
            ReferenceError_: If the solution notebook or its answer cell is missing or does not define it.
        """
        notebook = item_named(name).notebook
        path = self.solutions_dir / f"{notebook}.ipynb"
        cells = self._solution_cells(notebook)
        if cells is None:
            raise ReferenceError_(f"solution notebook {path} not found (needed for {name}); pass --solutions")
        if notebook not in self._namespaces:
            ns: dict[str, Any] = {"__name__": f"solution_{notebook}", "__builtins__": builtins}
            for unit in build_program(cells, notebook).units:
                exec(compile_unit(unit.source, unit.keep, f"<{path.name} {unit.label}>"), ns)
            self._namespaces[notebook] = ns
        if not any(c.grade_id == name and c.cell_type == "code" for c in cells):
            raise ReferenceError_(f"{self.solutions_dir / notebook}.ipynb has no answer cell with grade_id {name!r}")
        fn = self._namespaces[notebook].get(name)
        if not callable(fn):
            raise ReferenceError_(f"the solution of {notebook} does not define {name}")
        return fn
