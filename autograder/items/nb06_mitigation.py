"""Notebook 06's hidden cases: ``project_out`` on drawn directions, the conditional step on drawn attributes."""

from __future__ import annotations

import torch

from ganbias_helpers.checks.core import Case
from ganbias_helpers.checks.nb02_steering import steering_cases
from ganbias_helpers.checks.nb06_mitigation import projection_case

from .nb02_steering import draw_specs
from .secret import rng_for


def _projection(secret: str | None) -> list[Case]:
    rng = rng_for("project_out", secret)
    g = torch.Generator().manual_seed(int(rng.integers(0, 2**31)))
    n = int(rng.integers(3, 8))
    a, b = torch.randn(n, 64, generator=g), torch.randn(n, 64, generator=g) * float(rng.uniform(0.5, 4))
    ortho = b - (b * a).sum(1, keepdim=True) / (a * a).sum(1, keepdim=True) * a
    factor = float(rng.choice([-3.0, -0.5, 2.0, 5.0]))
    rows = int(rng.integers(10, 21))
    return [projection_case(False, "one row", (a[:1], b[:1])),
            projection_case(False, "other parallel to direction", (a, factor * a)),
            projection_case(False, "directions already orthogonal", (ortho, a)),
            projection_case(False, f"{rows} random rows", (torch.randn(rows, 64, generator=g),
                                                          torch.randn(rows, 64, generator=g) * 0.2))]


def _conditional(secret: str | None) -> list[Case]:
    return steering_cases("conditional_steering_step", draw_specs(rng_for("conditional_steering_step", secret),
                                                                  holds=1))


HIDDEN = {"project_out": _projection, "conditional_steering_step": _conditional}
