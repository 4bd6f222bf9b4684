"""Fairness gaps with their uncertainty, for the fairness notebook.

The notebook's graded functions compute one number per gap; every gap here is computed
by :mod:`ganbias_helpers.reference` (so an answer that calls these helpers earns no credit). A number on its own
hides two things a reader needs: how many faces each rate was measured on, and
how much the gap would move on another sample of faces. This module adds both:

* :func:`group_table` counts each group and gives its rates (with fairlearn's
  ``MetricFrame``);
* :func:`gaps_with_intervals` gives the three gaps with seeded bootstrap
  confidence intervals (resampling the test faces), and a warning when a rate
  rests on fewer than ``min_count`` faces;
* :func:`intersection_groups` turns two 0/1 attributes into four named groups
  (for example Male x Young);
* :func:`threshold_optimizer_tradeoff` runs fairlearn's ``ThresholdOptimizer``
  under equalized odds on fixed 0/1 predictions and traces accuracy against the
  remaining gaps, measured on faces it was not fitted on.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from .reference import demographic_parity_gap, equalized_odds_gap, gaps_from_rates

#: Below this many faces, a rate (and any gap built on it) is reported with a warning, not read as a finding.
MIN_COUNT = 30

GAP_NAMES = ("demographic parity gap", "equalized odds gap", "equal opportunity gap")


def _arrays(y_true, y_pred, group) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    y_true, y_pred, group = (np.asarray(a).ravel() for a in (y_true, y_pred, group))
    if not len(y_true) == len(y_pred) == len(group):
        raise ValueError("y_true, y_pred and group must have the same length")
    return y_true.astype(int), y_pred.astype(int), group


def group_table(y_true, y_pred, group) -> pd.DataFrame:
    """Per group: how many faces, how many truly positive and negative, and the three rates.

    Uses fairlearn's ``MetricFrame``. A rate with no faces to measure it on is ``NaN``.
    """
    from fairlearn.metrics import MetricFrame, count, false_positive_rate, selection_rate, true_positive_rate

    y_true, y_pred, group = _arrays(y_true, y_pred, group)

    def positives(t, p):
        return int(np.sum(t == 1))

    def negatives(t, p):
        return int(np.sum(t == 0))

    def tpr(t, p):
        return true_positive_rate(t, p) if np.any(t == 1) else np.nan

    def fpr(t, p):
        return false_positive_rate(t, p) if np.any(t == 0) else np.nan

    frame = MetricFrame(
        metrics={"faces": count, "truly positive": positives, "truly negative": negatives,
                 "selection rate": selection_rate, "true positive rate": tpr, "false positive rate": fpr},
        y_true=y_true, y_pred=y_pred, sensitive_features=pd.Series(group, name="group"),
    )
    table = frame.by_group
    for column in ("faces", "truly positive", "truly negative"):
        table[column] = table[column].astype(int)
    return table


def _rates_per_group(y_true: np.ndarray, y_pred: np.ndarray, codes: np.ndarray, n_groups: int) -> np.ndarray:
    """Rates for many resamples at once. Inputs have shape (n_boot, n); returns (n_boot, 3, n_groups).

    The three rates are: selection rate, true positive rate, false positive rate (NaN where undefined).
    """
    n_boot = y_true.shape[0]
    rows = np.repeat(np.arange(n_boot)[:, None], y_true.shape[1], axis=1)
    flat = (rows * n_groups + codes).ravel()

    def sums(weights: np.ndarray) -> np.ndarray:
        return np.bincount(flat, weights=weights.ravel(), minlength=n_boot * n_groups).reshape(n_boot, n_groups)

    with np.errstate(invalid="ignore", divide="ignore"):
        total = sums(np.ones_like(y_pred, dtype=float))
        pos = sums((y_true == 1).astype(float))
        neg = total - pos
        selection = sums(y_pred.astype(float)) / total
        tpr = sums(((y_true == 1) & (y_pred == 1)).astype(float)) / pos
        fpr = sums(((y_true == 0) & (y_pred == 1)).astype(float)) / neg
    return np.stack([selection, tpr, fpr], axis=1)


def gaps_with_intervals(
    y_true,
    y_pred,
    group,
    n_boot: int = 1000,
    confidence: float = 0.95,
    seed: int = 0,
    min_count: int = MIN_COUNT,
) -> pd.DataFrame:
    """The three fairness gaps, each with a bootstrap confidence interval and the counts behind it.

    The test faces are resampled with replacement ``n_boot`` times (seeded); each gap's interval is
    the central ``confidence`` share of its resampled values (percentile bootstrap).

    Returns:
        One row per gap with columns ``gap``, ``low``, ``high``, ``smallest count`` (the fewest faces
        any of its rates was measured on) and ``note`` (a warning when that count is below
        ``min_count``, otherwise empty).
    """
    y_true, y_pred, group = _arrays(y_true, y_pred, group)
    names, codes = np.unique(group, return_inverse=True)
    k = len(names)
    point = gaps_from_rates(_rates_per_group(y_true[None], y_pred[None], codes[None], k))[0]
    rng = np.random.default_rng(seed)
    draws = []
    for start in range(0, n_boot, 200):  # in chunks, to keep memory small
        idx = rng.integers(0, len(y_true), size=(min(200, n_boot - start), len(y_true)))
        draws.append(gaps_from_rates(_rates_per_group(y_true[idx], y_pred[idx], codes[idx], k)))
    boot = np.concatenate(draws)
    alpha = (1 - confidence) / 2
    low, high = np.quantile(boot, [alpha, 1 - alpha], axis=0)

    table = group_table(y_true, y_pred, group)
    counts = {
        "demographic parity gap": int(table["faces"].min()),
        "equal opportunity gap": int(table["truly positive"].min()),
        "equalized odds gap": int(min(table["truly positive"].min(), table["truly negative"].min())),
    }
    rows = []
    for j, name in enumerate(GAP_NAMES):
        n = counts[name]
        note = f"only {n} faces in a group: too few to conclude" if n < min_count else ""
        rows.append({"gap": point[j], "low": low[j], "high": high[j], "smallest count": n, "note": note})
    return pd.DataFrame(rows, index=list(GAP_NAMES))


def gap_report(
    labels: np.ndarray,
    predictions: np.ndarray,
    group,
    attributes: Sequence[str],
    n_boot: int = 1000,
    seed: int = 0,
    min_count: int = MIN_COUNT,
) -> pd.DataFrame:
    """:func:`gaps_with_intervals` for several attributes, one row per (attribute, gap).

    Columns: ``gap``, ``95% CI`` (as text), ``low``, ``high``, ``smallest count``, ``note``.
    """
    from .attributes import attribute_index

    frames = []
    for name in attributes:
        i = attribute_index(name)
        frame = gaps_with_intervals(labels[:, i], predictions[:, i], group, n_boot=n_boot, seed=seed,
                                    min_count=min_count)
        frame.index = pd.MultiIndex.from_product([[name], frame.index], names=["attribute", "definition"])
        frames.append(frame)
    report = pd.concat(frames)
    report.insert(1, "95% CI", [f"[{lo:.3f}, {hi:.3f}]" for lo, hi in zip(report["low"], report["high"])])
    return report


def intersection_groups(first: np.ndarray, second: np.ndarray, first_name: str, second_name: str) -> np.ndarray:
    """Name the four groups of two 0/1 attributes, e.g. ``"Male, Young"`` or ``"not Male, not Young"``."""
    first, second = np.asarray(first).astype(bool), np.asarray(second).astype(bool)
    a = np.where(first, first_name, f"not {first_name}")
    b = np.where(second, second_name, f"not {second_name}")
    return np.char.add(np.char.add(a, ", "), b)


try:
    from sklearn.base import BaseEstimator, ClassifierMixin
except ImportError:  # scikit-learn comes with fairlearn; without it only the optimiser is missing
    BaseEstimator = ClassifierMixin = object  # type: ignore[assignment,misc]


class FixedPredictions(ClassifierMixin, BaseEstimator):
    """A stand-in "model" for fixed 0/1 predictions: ``predict(X)`` returns the first column of ``X``.

    fairlearn's ``ThresholdOptimizer`` post-processes a trained model's outputs; when all we have is
    the model's predictions (as here), this lets it treat them as the model.
    """

    def __sklearn_is_fitted__(self) -> bool:
        return True

    def fit(self, X, y=None):  # noqa: N803 (scikit-learn's argument names)
        """Nothing to learn: the predictions are fixed."""
        return self

    def predict(self, X):  # noqa: N803
        """The fixed predictions, stored in the first column of ``X``."""
        return np.asarray(X, dtype=float)[:, 0]


def split_halves(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """A seeded random split of ``n`` rows into two halves: (fit rows, evaluation rows)."""
    order = np.random.default_rng(seed).permutation(n)
    return np.sort(order[: n // 2]), np.sort(order[n // 2:])


def threshold_optimized_predictions(y_true, y_pred, group, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Fit fairlearn's ``ThresholdOptimizer`` (equalized odds) on one half of the faces, predict the other.

    The "model" is the fixed 0/1 predictions themselves (:class:`FixedPredictions`); the optimiser
    picks, per group, a possibly randomised rule on top of them that maximises accuracy subject to
    equal true and false positive rates on the fitting half. Its random choices are seeded.

    Returns:
        ``(eval_rows, adjusted)``: the row indices of the evaluation half, and the post-processed
        0/1 predictions for those rows.
    """
    from fairlearn.postprocessing import ThresholdOptimizer

    y_true, y_pred, group = _arrays(y_true, y_pred, group)
    fit_rows, eval_rows = split_halves(len(y_true), seed)
    X = y_pred.reshape(-1, 1).astype(float)  # noqa: N806
    optimiser = ThresholdOptimizer(estimator=FixedPredictions(), constraints="equalized_odds",
                                   objective="accuracy_score", prefit=True, predict_method="predict")
    optimiser.fit(X[fit_rows], y_true[fit_rows], sensitive_features=group[fit_rows])
    adjusted = optimiser.predict(X[eval_rows], sensitive_features=group[eval_rows], random_state=seed)
    return eval_rows, np.asarray(adjusted).astype(int)


def threshold_optimizer_tradeoff(
    y_true,
    y_pred,
    group,
    mix: Sequence[float] = (0.0, 0.25, 0.5, 0.75, 1.0),
    seed: int = 0,
) -> pd.DataFrame:
    """Post-process fixed predictions with fairlearn's ``ThresholdOptimizer`` under equalized odds.

    The faces are split in two seeded halves (see :func:`threshold_optimized_predictions`): the
    optimiser is fitted on one half and every number is measured on the other.

    fairlearn does not relax the equalized odds constraint, so the trade-off between the original
    predictions and the optimiser's is traced by mixing them: with share ``m``, each face gets the
    optimiser's prediction with probability ``m`` and its original prediction otherwise (seeded).

    Returns:
        One row per share ``m`` with ``accuracy``, ``equalized odds gap``, ``demographic parity gap``
        and ``faces`` (the size of the evaluation half).
    """
    y_true, y_pred, group = _arrays(y_true, y_pred, group)
    eval_rows, adjusted = threshold_optimized_predictions(y_true, y_pred, group, seed)
    t, g, original = y_true[eval_rows], group[eval_rows], y_pred[eval_rows]
    coin = np.random.default_rng(seed + 1).random(len(t))
    rows = []
    for m in mix:
        pred = np.where(coin < m, adjusted, original)
        rows.append({"share post-processed": m, "accuracy": float((pred == t).mean()),
                     "equalized odds gap": equalized_odds_gap(t, pred, g),
                     "demographic parity gap": demographic_parity_gap(t, pred, g),
                     "faces": len(t)})
    return pd.DataFrame(rows).set_index("share post-processed")
