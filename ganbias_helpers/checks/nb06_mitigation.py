"""Notebook 06, mitigation: ``project_out`` (1 point) and ``conditional_steering_step`` (2 points).

How each is judged (:func:`projection_case`; the conditional step is judged as
notebook 02's step, :func:`~.nb02_steering.steering_cases`), and the visible cases.
"""

from __future__ import annotations

from typing import Any

import torch

from ganbias_helpers.reference import checks_piece, project_out

from .core import Case, close, require
from .items import Item
from .nb02_steering import steering_cases


@checks_piece
def _compare_projection(value: Any, expected: torch.Tensor, case: Case) -> None:
    require(value, (torch.Tensor,), "the projected direction", "a torch tensor")
    scale = float(case.args[0].abs().max())  # the result can be near zero: compare on the input's scale
    close(value, expected, "the projected direction", rtol=1e-4, scale=scale)


@checks_piece
def projection_case(visible: bool, desc: str, args: tuple[torch.Tensor, torch.Tensor]) -> Case:
    """A case of ``project_out`` on ``(direction, other)``."""
    mistakes = {"you removed direction's part from other: remove from direction its part along other":
                lambda d, o: project_out(o, d),
                "you assumed other has unit length: divide by (other * other).sum(dim=1, keepdim=True)":
                lambda d, o: d - (d * o).sum(dim=1, keepdim=True) * o,
                "you returned the part along other; return what is left after removing it":
                lambda d, o: d - project_out(d, o),
                "you divided by the norm of other; divide by its squared norm, (other * other).sum(dim=1, "
                "keepdim=True)": lambda d, o: d - (d * o).sum(dim=1, keepdim=True) / o.norm(dim=1, keepdim=True) * o,
                "you used one dot product for the whole batch; take one per row, .sum(dim=1, keepdim=True)":
                lambda d, o: d - (d * o).sum() / (o * o).sum() * o,
                "you summed over dim=0 (down the batch); sum along each row, dim=1":
                lambda d, o: d - (d * o).sum(dim=0, keepdim=True) / (o * o).sum(dim=0, keepdim=True) * o,
                "you normalised the result to length 1; project_out keeps its length":
                lambda d, o: torch.nn.functional.normalize(project_out(d, o), dim=1)}
    return Case("project_out", desc, args, {}, project_out(*args), _compare_projection, visible=visible,
                mistakes=mistakes)


@checks_piece
def _projection_cases() -> list[Case]:
    g = torch.Generator().manual_seed(12)
    a, b = torch.randn(5, 64, generator=g), torch.randn(5, 64, generator=g) * 3
    return [projection_case(True, "[[1, 1], [2, 0]] along [[1, 0], [0, 3]]",
                            (torch.tensor([[1.0, 1.0], [2.0, 0.0]]), torch.tensor([[1.0, 0.0], [0.0, 3.0]]))),
            projection_case(True, "random directions (5, 64), other not of unit length", (a, b))]


@checks_piece
def _conditional_cases() -> list[Case]:
    return steering_cases("conditional_steering_step", [
        (True, 321, 4, "Male", ("Wearing_Lipstick",), {"step_size": 0.1}),
        (True, 322, 3, "Male", ("Heavy_Makeup",), {"step_size": 0.1, "direction": -1}),
    ])


ITEMS = [
    Item("06_mitigation", "project_out", 1, "project_out", _projection_cases),
    Item("06_mitigation", "conditional_steering_step", 2, "steering_step", _conditional_cases,
         depends=("project_out",)),
]
