"""Notebook 02's hidden cases: ``steering_step`` on drawn noise, targets, step sizes and directions."""

from __future__ import annotations

from typing import Any

import numpy as np

from ganbias_helpers.attributes import ATTRIBUTE_NAMES
from ganbias_helpers.checks.core import Case
from ganbias_helpers.checks.nb02_steering import steering_cases

from .secret import rng_for

#: Step sizes the hidden cases draw from (the exercise's default is 0.1).
STEP_SIZES = (0.05, 0.1, 0.15, 0.2, 0.25, 0.3)


def draw_specs(rng: np.random.Generator, holds: int) -> list[tuple[bool, int, int, str, tuple[str, ...],
                                                                     dict[str, Any]]]:
    """Four hidden steering cases: default arguments, then steps down, up and down again of drawn sizes.

    Each has its own noise seed, 3 to 5 faces, a target and ``holds`` held attributes, all
    different attributes drawn from the 40.
    """
    specs = []
    for kwargs in ({}, {"direction": -1}, {"direction": 1}, {"direction": -1}):
        names = [str(a) for a in rng.choice(ATTRIBUTE_NAMES, size=1 + holds, replace=False)]
        if kwargs:
            kwargs = {"step_size": float(rng.choice(STEP_SIZES)), **kwargs}
        specs.append((False, int(rng.integers(0, 2**31)), int(rng.integers(3, 6)), names[0], tuple(names[1:]),
                      kwargs))
    return specs


def _hidden(secret: str | None) -> list[Case]:
    return steering_cases("steering_step", draw_specs(rng_for("steering_step", secret), holds=0))


HIDDEN = {"steering_step": _hidden}
