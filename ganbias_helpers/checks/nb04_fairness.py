"""Notebook 04, fairness definitions: three gaps, 1 point each.

How a gap is judged and its known mistakes (:func:`gap_case`, used for the grader's
hidden cases too), the generator of synthetic predictions, and the visible cases.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ganbias_helpers import reference as ref
from ganbias_helpers.reference import checks_piece

from .core import Case, CheckFailed, type_name
from .items import Item

#: Gaps are in [0, 1]; correct answers computed in float32 differ by about 1e-8.
ATOL = 1e-6


@checks_piece
def _compare_gap(value: Any, expected: float, case: Case) -> None:
    if isinstance(value, bool) or not isinstance(value, float):
        raise CheckFailed(f"{case.function} should return a float (for example float(gap)), not {type_name(value)}")
    if not np.isfinite(value):
        raise CheckFailed(f"{case.function} returned {value}")
    if abs(value - expected) > ATOL:
        raise CheckFailed(f"{case.function} returned a wrong value (allowed difference {ATOL:g})")


@checks_piece
def _rates(y_true: Any, y_pred: Any, group: Any, truth: int | None, groups: list | None = None) -> list[float]:
    y_true, y_pred, group = (np.asarray(a) for a in (y_true, y_pred, group))
    rates = []
    for g in groups if groups is not None else np.unique(group):
        mask = group == g if truth is None else (group == g) & (y_true == truth)
        rates.append(float(np.mean(y_pred[mask] == 1)))
    return rates


@checks_piece
def _gap(rates: list[float]) -> float:
    return float(max(rates) - min(rates))


@checks_piece
def _first_two(y_true: Any, y_pred: Any, group: Any, truth: int | None) -> float:
    return _gap(_rates(y_true, y_pred, group, truth, list(np.unique(np.asarray(group)))[:2]))


@checks_piece
def _precision_gap(y_true: Any, y_pred: Any, group: Any) -> float:
    y_true, y_pred, group = (np.asarray(a) for a in (y_true, y_pred, group))
    return _gap([float(np.mean(y_true[(group == g) & (y_pred == 1)] == 1)) for g in np.unique(group)])


@checks_piece
def synthetic_predictions(rng: np.random.Generator, n: int = 600) -> tuple[np.ndarray, np.ndarray, np.ndarray,
                                                                           np.ndarray]:
    """``n`` synthetic predictions in three groups whose base rates and predictions differ.

    Returns:
        ``(y_true, y_pred, group, names)``: 0/1 labels and predictions, the group (0, 1 or 2) and
        a second grouping into four groups named by strings.
    """
    group = rng.integers(0, 3, n)
    y_true = (rng.random(n) < np.array([0.3, 0.5, 0.6])[group]).astype(int)
    y_pred = (0.6 * y_true + 0.2 * group + rng.random(n) * 0.6 > 0.6).astype(int)
    names = np.array(["a", "b", "c", "d"])[rng.integers(0, 4, n)]
    return y_true, y_pred, group, names


@checks_piece
def _visible_inputs() -> list[tuple[str, tuple]]:
    # The first two groups alike and the third far from both: an answer that compares two groups sees no gap.
    three_true = np.array([1, 0, 1, 0, 1, 0, 1, 0, 1, 1, 0, 0])
    three_pred = np.array([1, 0, 0, 0, 1, 0, 0, 0, 1, 1, 1, 1])
    three_group = np.array([0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2])
    two_true = np.array([1, 1, 0, 0, 1, 1, 0, 0])
    two_pred = np.array([1, 0, 0, 0, 1, 1, 1, 0])
    two_group = np.array([0, 0, 0, 0, 1, 1, 1, 1])
    return [
        ("8 predictions, two groups", (two_true, two_pred, two_group)),
        ("12 predictions, three groups", (three_true, three_pred, three_group)),
        ("Python lists, groups named by strings", (two_true.tolist(), two_pred.tolist(), ["x"] * 4 + ["y"] * 4)),
    ]


@checks_piece
def _signed_first_two(y_true: Any, y_pred: Any, group: Any) -> float:
    rates = _rates(y_true, y_pred, group, None)
    return rates[0] - rates[1] if len(rates) > 1 else 0.0


@checks_piece
def _counts_gap(y_true: Any, y_pred: Any, group: Any) -> float:
    y_pred, group = np.asarray(y_pred), np.asarray(group)
    counts = [float(np.sum(y_pred[group == g] == 1)) for g in np.unique(group)]
    return float(max(counts) - min(counts))


@checks_piece
def _ratio(y_true: Any, y_pred: Any, group: Any) -> float:
    rates = _rates(y_true, y_pred, group, None)
    return 1 - min(rates) / max(rates) if max(rates) > 0 else 0.0


@checks_piece
def _accuracy_gap(y_true: Any, y_pred: Any, group: Any) -> float:
    y_true, y_pred, group = (np.asarray(a) for a in (y_true, y_pred, group))
    return _gap([float(np.mean(y_pred[group == g] == y_true[group == g])) for g in np.unique(group)])


_PARITY = {"you compared only the first two groups: compare every group (np.unique)":
           lambda t, p, g: _first_two(t, p, g, None),
           "your gap is signed (the first group's rate minus the second's): take the largest rate minus the "
           "smallest, over every group": _signed_first_two,
           "you compared numbers of positive predictions; compare rates (the mean prediction in each group)":
           _counts_gap,
           "you returned a ratio (1 - smallest / largest rate); the gap is largest minus smallest": _ratio,
           "you compared the groups' true labels (y_true); demographic parity compares the predictions (y_pred)":
           lambda t, p, g: _gap(_rates(p, t, g, None)),
           "you compared true positive rates: demographic parity compares positive predictions over all examples":
           lambda t, p, g: _gap(_rates(t, p, g, 1))}
_ODDS = {"you compared only true positive rates: equalized odds also compares false positive rates":
         lambda t, p, g: _gap(_rates(t, p, g, 1)),
         "you compared only false positive rates: equalized odds also compares true positive rates":
         lambda t, p, g: _gap(_rates(t, p, g, 0)),
         "you averaged the two gaps: equalized odds takes the larger one":
         lambda t, p, g: (_gap(_rates(t, p, g, 1)) + _gap(_rates(t, p, g, 0))) / 2,
         "you added the two gaps: equalized odds takes the larger one":
         lambda t, p, g: _gap(_rates(t, p, g, 1)) + _gap(_rates(t, p, g, 0)),
         "you compared precision (P(y=1 | predicted 1)) instead of the true positive rate (P(predicted 1 | y=1))":
         lambda t, p, g: max(_precision_gap(t, p, g), _gap(_rates(t, p, g, 0))),
         "you compared only the first two groups: compare every group (np.unique)":
         lambda t, p, g: max(_first_two(t, p, g, 1), _first_two(t, p, g, 0))}
_OPPORTUNITY = {"you compared false positive rates: equal opportunity compares true positive rates":
                lambda t, p, g: _gap(_rates(t, p, g, 0)),
                "you compared precision (P(y=1 | predicted 1)): the true positive rate is P(predicted 1 | y=1)":
                _precision_gap,
                "you compared positive predictions over all examples (that is demographic parity)":
                lambda t, p, g: _gap(_rates(t, p, g, None)),
                "you compared only the first two groups: compare every group (np.unique)":
                lambda t, p, g: _first_two(t, p, g, 1),
                "you compared accuracy (correct predictions over all examples): equal opportunity compares true "
                "positive rates, P(predicted 1 | y=1)": _accuracy_gap}

#: Each gap's reference and known mistakes.
GAPS: dict[str, tuple[Callable[..., float], dict[str, Callable[..., float]]]] = {
    "demographic_parity_gap": (ref.demographic_parity_gap, _PARITY),
    "equalized_odds_gap": (ref.equalized_odds_gap, _ODDS),
    "equal_opportunity_gap": (ref.equal_opportunity_gap, _OPPORTUNITY),
}


@checks_piece
def gap_case(name: str, visible: bool, desc: str, args: tuple) -> Case:
    """A case of the gap ``name`` on ``(y_true, y_pred, group)``."""
    reference, mistakes = GAPS[name]
    return Case(name, desc, args, {}, reference(*args), _compare_gap, visible=visible, mistakes=mistakes)


@checks_piece
def _visible(name: str) -> Callable[[], list[Case]]:
    def build() -> list[Case]:
        return [gap_case(name, True, desc, args) for desc, args in _visible_inputs()]
    return build


ITEMS = [Item("04_fairness", name, 1, name, _visible(name)) for name in GAPS]
