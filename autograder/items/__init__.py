"""The grader's half of every graded function: its hidden cases, drawn from the course secret.

Each graded function is defined once. Its student half lives in the student package
(:mod:`ganbias_helpers.checks.items`: name, notebook, points, reference, comparisons,
named mistakes, visible cases); this package adds what only the grader has: one
module per notebook (``nb03_covariance.py``...) whose ``HIDDEN`` maps each function to
a builder of its hidden cases. A builder draws the inputs from a generator seeded by
the course secret and the function's name (:mod:`.secret`), from the same
distributions every time (real CelebA-derived inputs where they matter), and computes
the expected values with the reference at grading time; they are never stored.

Both graders read this: ``ganbias grade`` runs :func:`cases_of` in its sandbox; the
solution notebooks' hidden test cells run :func:`hidden_cases_of` through
:func:`autograder.hidden.check_hidden` (so ``nbgrader autograde`` agrees by
construction, under the same secret). The registry's other names are the student
package's, re-exported here for the grader's modules.
"""

from __future__ import annotations

import functools
import importlib
from collections.abc import Callable

from ganbias_helpers.checks.core import Case
from ganbias_helpers.checks.items import (
    ASSIGNMENT,
    MODULES,
    UNGRADED_NOTEBOOK_PREFIX,
    Item,
    all_items,
    graded_notebooks,
    helper_sources,
    is_ungraded_notebook,
    item_named,
    items_of,
    notebooks_named_in,
    visible_cases_of,
)

from .secret import read_secret

__all__ = [
    "ASSIGNMENT", "MODULES", "UNGRADED_NOTEBOOK_PREFIX", "Item", "all_items", "cases_of", "graded_notebooks",
    "helper_sources", "hidden_builders", "hidden_cases_of", "is_ungraded_notebook", "item_named", "items_of",
    "notebooks_named_in", "visible_cases_of",
]

#: A hidden builder: the course secret (None: the public defaults) -> the hidden cases.
HiddenBuilder = Callable[[str | None], list[Case]]


@functools.cache
def hidden_builders() -> dict[str, HiddenBuilder]:
    """Graded function name -> builder of its hidden cases, for every graded function.

    Raises:
        RuntimeError: If a graded function has no hidden builder, or a builder is for no graded function.
    """
    found: dict[str, HiddenBuilder] = {}
    for module in MODULES:
        found.update(importlib.import_module(f"{__name__}.{module}").HIDDEN)
    names = {item.name for item in all_items()}
    if set(found) != names:
        raise RuntimeError(f"hidden builders missing for {sorted(names - set(found))}, "
                           f"or for no graded function: {sorted(set(found) - names)}")
    return found


_UNSET = object()


def hidden_cases_of(name: str, secret: str | None | object = _UNSET) -> tuple[Case, ...]:
    """The hidden cases of item ``name`` under ``secret`` (default: the course secret, :func:`.secret.read_secret`).

    Raises:
        KeyError: If no graded function has that name.
        RuntimeError: If a case is visible or for another function.
    """
    item_named(name)
    return _hidden_cases(name, read_secret() if secret is _UNSET else secret)


@functools.lru_cache(maxsize=64)
def _hidden_cases(name: str, secret: str | None) -> tuple[Case, ...]:
    cases = tuple(hidden_builders()[name](secret))
    if not cases or any(c.visible for c in cases):
        raise RuntimeError(f"{name} needs hidden cases, and only hidden ones in its hidden builder")
    wrong = [c.name for c in cases if c.function != name]
    if wrong:
        raise RuntimeError(f"cases of {name} are for other functions: {wrong}")
    return cases


def cases_of(name: str, secret: str | None | object = _UNSET) -> tuple[Case, ...]:
    """Every case of item ``name``: the visible ones, then the hidden ones under ``secret`` (default: the course's)."""
    return visible_cases_of(name) + hidden_cases_of(name, secret)
