"""Notebook 04, fairness definitions: three gaps, 1 point each."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ganbias_helpers import attribute_index
from ganbias_helpers import reference as ref

from ..checks import Case, CheckFailed, type_name
from . import Item
from ._data import test_predictions

#: Gaps are in [0, 1]; correct answers computed in float32 differ by about 1e-8.
ATOL = 1e-6


def _compare_gap(value: Any, expected: float, case: Case) -> None:
    if isinstance(value, bool) or not isinstance(value, float):
        raise CheckFailed(f"{case.function} should return a float (for example float(gap)), not {type_name(value)}")
    if not np.isfinite(value):
        raise CheckFailed(f"{case.function} returned {value}")
    if abs(value - expected) > ATOL:
        raise CheckFailed(f"{case.function} returned a wrong value (allowed difference {ATOL:g})")


def _rates(y_true: Any, y_pred: Any, group: Any, truth: int | None, groups: list | None = None) -> list[float]:
    y_true, y_pred, group = (np.asarray(a) for a in (y_true, y_pred, group))
    rates = []
    for g in groups if groups is not None else np.unique(group):
        mask = group == g if truth is None else (group == g) & (y_true == truth)
        rates.append(float(np.mean(y_pred[mask] == 1)))
    return rates


def _gap(rates: list[float]) -> float:
    return float(max(rates) - min(rates))


def _first_two(y_true: Any, y_pred: Any, group: Any, truth: int | None) -> float:
    return _gap(_rates(y_true, y_pred, group, truth, list(np.unique(np.asarray(group)))[:2]))


def _precision_gap(y_true: Any, y_pred: Any, group: Any) -> float:
    y_true, y_pred, group = (np.asarray(a) for a in (y_true, y_pred, group))
    return _gap([float(np.mean(y_true[(group == g) & (y_pred == 1)] == 1)) for g in np.unique(group)])


def _inputs() -> list[tuple[bool, str, tuple]]:
    labels, predictions = test_predictions()
    male = labels[:, attribute_index("Male")]
    rng = np.random.default_rng(8)
    n = 600
    group = rng.integers(0, 3, n)
    y_true = (rng.random(n) < np.array([0.3, 0.5, 0.6])[group]).astype(int)
    y_pred = (0.6 * y_true + 0.2 * group + rng.random(n) * 0.6 > 0.6).astype(int)
    names = np.array(["a", "b", "c", "d"])[rng.integers(0, 4, n)]
    # The first two groups alike and the third far from both: an answer that compares two groups sees no gap.
    three_true = np.array([1, 0, 1, 0, 1, 0, 1, 0, 1, 1, 0, 0])
    three_pred = np.array([1, 0, 0, 0, 1, 0, 0, 0, 1, 1, 1, 1])
    three_group = np.array([0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2])
    two_true = np.array([1, 1, 0, 0, 1, 1, 0, 0])
    two_pred = np.array([1, 0, 0, 0, 1, 1, 1, 0])
    two_group = np.array([0, 0, 0, 0, 1, 1, 1, 1])
    smiling, young, glasses = (attribute_index(a) for a in ("Smiling", "Young", "Eyeglasses"))
    return [
        (True, "8 predictions, two groups", (two_true, two_pred, two_group)),
        (True, "12 predictions, three groups", (three_true, three_pred, three_group)),
        (True, "Python lists, groups named by strings", (two_true.tolist(), two_pred.tolist(),
                                                        ["x"] * 4 + ["y"] * 4)),
        (False, "CelebA test split, Smiling, groups by Male (uint8 arrays)",
         (labels[:, smiling], predictions[:, smiling], male)),
        (False, "CelebA test split, Young, groups by Male", (labels[:, young].astype(int),
                                                             predictions[:, young].astype(int), male.astype(int))),
        (False, "CelebA test split, Eyeglasses, groups by Male", (labels[:, glasses], predictions[:, glasses], male)),
        (False, "600 predictions, three groups", (y_true, y_pred, group)),
        (False, "600 predictions, four groups named by strings", (y_true, y_pred, names)),
        (False, "boolean arrays", (y_true.astype(bool), y_pred.astype(bool), group == 1)),
    ]


def _cases(name: str, reference: Callable[..., float], mistakes: dict[str, Callable[..., float]]) -> \
        Callable[[], list[Case]]:
    def build() -> list[Case]:
        return [Case(name, desc, args, {}, reference(*args), _compare_gap, visible=visible, mistakes=mistakes)
                for visible, desc, args in _inputs()]
    return build


_PARITY = {"you compared only the first two groups: compare every group (np.unique)":
           lambda t, p, g: _first_two(t, p, g, None),
           "you compared true positive rates: demographic parity compares positive predictions over all examples":
           lambda t, p, g: _gap(_rates(t, p, g, 1))}
_ODDS = {"you compared only true positive rates: equalized odds also compares false positive rates":
         lambda t, p, g: _gap(_rates(t, p, g, 1)),
         "you compared only false positive rates: equalized odds also compares true positive rates":
         lambda t, p, g: _gap(_rates(t, p, g, 0)),
         "you averaged the two gaps: equalized odds takes the larger one":
         lambda t, p, g: (_gap(_rates(t, p, g, 1)) + _gap(_rates(t, p, g, 0))) / 2,
         "you compared only the first two groups: compare every group (np.unique)":
         lambda t, p, g: max(_first_two(t, p, g, 1), _first_two(t, p, g, 0))}
_OPPORTUNITY = {"you compared false positive rates: equal opportunity compares true positive rates":
                lambda t, p, g: _gap(_rates(t, p, g, 0)),
                "you compared precision (P(y=1 | predicted 1)): the true positive rate is P(predicted 1 | y=1)":
                _precision_gap,
                "you compared positive predictions over all examples (that is demographic parity)":
                lambda t, p, g: _gap(_rates(t, p, g, None)),
                "you compared only the first two groups: compare every group (np.unique)":
                lambda t, p, g: _first_two(t, p, g, 1)}

ITEMS = [
    Item("04_fairness", "demographic_parity_gap", 1, "demographic_parity_gap",
         _cases("demographic_parity_gap", ref.demographic_parity_gap, _PARITY)),
    Item("04_fairness", "equalized_odds_gap", 1, "equalized_odds_gap",
         _cases("equalized_odds_gap", ref.equalized_odds_gap, _ODDS)),
    Item("04_fairness", "equal_opportunity_gap", 1, "equal_opportunity_gap",
         _cases("equal_opportunity_gap", ref.equal_opportunity_gap, _OPPORTUNITY)),
]
