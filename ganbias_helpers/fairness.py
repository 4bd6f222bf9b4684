"""Fairness gaps with their uncertainty, for the fairness notebook.

The notebook's graded functions compute one number per gap; every gap here is computed
by :mod:`ganbias_helpers.reference` (so an answer that calls these helpers earns no credit). A number on its own
hides two things a reader needs: how many faces each rate was measured on, and
how much the gap would move on another sample of faces. This module adds both:

* :func:`group_table` counts each group and gives its rates (with fairlearn's
  ``MetricFrame``);
* :func:`gaps_with_intervals` gives the three gaps with seeded bootstrap
  confidence intervals (resampling the test faces), and a warning when a rate
  rests on fewer than ``min_count`` faces; for those small groups the interval
  comes from each group's Wilson score interval instead, because a percentile
  bootstrap covers too little when a rate rests on a handful of faces;
* :func:`wilson_interval` is the Wilson score interval of one rate;
* :func:`shuffled_gap_test` compares a gap with the gaps of shuffled groups (a
  permutation test) and gives its p-value as :func:`permutation_p_value` does,
  ``(b + 1) / (m + 1)``;
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

from .reference import checks_piece, demographic_parity_gap, equalized_odds_gap, gaps_from_rates

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


@checks_piece  # every group's rates: an answer built on it would get credit for the package's work
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


def _z_value(confidence: float) -> float:
    from statistics import NormalDist

    if not 0 < confidence < 1:
        raise ValueError(f"confidence must lie between 0 and 1, not {confidence}")
    return NormalDist().inv_cdf(1 - (1 - confidence) / 2)


def wilson_interval(successes: int, n: int, confidence: float = 0.95) -> tuple[float, float]:
    """The Wilson score interval of a rate ``successes / n``.

    Unlike the plain "rate plus or minus two standard errors" or a percentile bootstrap, it stays inside
    [0, 1] and keeps close to its promised coverage on small groups (for 1 success in 8 it runs from about
    0.02 to 0.47). With ``n = 0`` nothing is known: the interval is ``(0.0, 1.0)``.

    Args:
        successes: How many of the ``n`` faces count (for example, were predicted positive).
        n: How many faces the rate is measured on.
        confidence: The interval's confidence level.

    Returns:
        ``(low, high)``.
    """
    if n < 0 or successes < 0 or successes > n:
        raise ValueError(f"need 0 <= successes <= n, got successes={successes}, n={n}")
    if n == 0:
        return 0.0, 1.0
    z = _z_value(confidence)
    rate = successes / n
    centre = (rate + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * np.sqrt(rate * (1 - rate) / n + z * z / (4 * n * n))
    low = 0.0 if successes == 0 else max(0.0, centre - half)  # exact ends where rounding would miss them
    high = 1.0 if successes == n else min(1.0, centre + half)
    return float(low), float(high)


def _wilson_gap_interval(y_true: np.ndarray, y_pred: np.ndarray, codes: np.ndarray, n_groups: int,
                         confidence: float) -> np.ndarray:
    """For each of the three gaps, the range of gaps that the groups' Wilson intervals allow: shape (3, 2).

    Every rate gets a Wilson interval at a Bonferroni-adjusted level, so that all the rates of one gap hold
    together with at least ``confidence``; the gap's interval runs from the smallest to the largest
    largest-minus-smallest those rates permit. An undefined rate counts as 0, as in the point estimate.
    """
    def bounds(mask_of: np.ndarray, hit: np.ndarray, level: float) -> np.ndarray:
        out = np.zeros((n_groups, 2))
        for g in range(n_groups):
            rows = mask_of & (codes == g)
            out[g] = wilson_interval(int(hit[rows].sum()), int(rows.sum()), level) if rows.any() else (0.0, 0.0)
        return out

    def gap_range(b: np.ndarray) -> tuple[float, float]:
        return max(0.0, b[:, 0].max() - b[:, 1].min()), b[:, 1].max() - b[:, 0].min()

    everyone = np.ones(len(y_true), bool)
    level_one = 1 - (1 - confidence) / n_groups
    level_two = 1 - (1 - confidence) / (2 * n_groups)
    parity = gap_range(bounds(everyone, y_pred == 1, level_one))
    opportunity = gap_range(bounds(y_true == 1, y_pred == 1, level_one))
    tpr = gap_range(bounds(y_true == 1, y_pred == 1, level_two))
    fpr = gap_range(bounds(y_true == 0, y_pred == 1, level_two))
    odds = (max(tpr[0], fpr[0]), max(tpr[1], fpr[1]))
    return np.array([parity, odds, opportunity])


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
    the central ``confidence`` share of its resampled values (percentile bootstrap). Where a rate rests
    on fewer than ``min_count`` faces the percentile bootstrap covers too little, so that gap's interval
    is built from Wilson score intervals of the groups' rates instead (see :func:`wilson_interval`).

    Returns:
        One row per gap with columns ``gap``, ``low``, ``high``, ``interval`` (``"bootstrap"`` or
        ``"Wilson"``: how ``low`` and ``high`` were found), ``smallest count`` (the fewest faces any of its
        rates was measured on) and ``note`` (a warning when that count is below ``min_count``, otherwise
        empty).
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
    wilson = _wilson_gap_interval(y_true, y_pred, codes, k, confidence)
    rows = []
    for j, name in enumerate(GAP_NAMES):
        n = counts[name]
        small = n < min_count
        note = f"only {n} faces in a group: too few to conclude" if small else ""
        lo, hi = (wilson[j] if small else (low[j], high[j]))
        rows.append({"gap": point[j], "low": float(lo), "high": float(hi),
                     "interval": "Wilson" if small else "bootstrap", "smallest count": n, "note": note})
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


def permutation_p_value(observed: float, shuffled) -> float:
    """The p-value of a permutation test: ``(b + 1) / (m + 1)``.

    ``b`` is how many of the ``m`` shuffled statistics are at least as large as the observed one. The
    observed data count as one more arrangement, so the p-value is never 0: with 1,000 shuffles the
    smallest possible value is 1/1001, about 0.001 ("no shuffle came this far" means p <= 0.001, not p = 0).
    """
    shuffled = np.asarray(shuffled, dtype=float).ravel()
    if shuffled.size == 0:
        raise ValueError("a permutation p-value needs at least one shuffled statistic")
    b = int(np.sum(shuffled >= observed - 1e-12))  # a tiny tolerance: equal gaps computed two ways count as ties
    return (b + 1) / (shuffled.size + 1)


def shuffled_gap_test(y_true, y_pred, group, gap: str = "equal opportunity gap", n_shuffles: int = 1000,
                      seed: int = 0, within=None) -> dict:
    """How large would the gap be if group and prediction were unrelated? A seeded permutation test.

    The group labels are shuffled among the faces the gap is measured on (every group keeps its size):
    among all faces for the demographic parity gap, among the truly positive faces for the equal
    opportunity gap, and separately among the truly positive and the truly negative faces for the
    equalized odds gap. Each shuffle's gap is computed as the real one is.

    With ``within`` (one value per face), labels are only shuffled among faces that share its value. For
    four groups built from two attributes, ``within`` = the first attribute shuffles the second one inside
    each of its groups: the baseline for "does the second split add anything beyond the first?".

    Returns:
        A dict with ``observed`` (the real gap), ``shuffled`` (the ``n_shuffles`` shuffled gaps),
        ``95% of shuffled gaps below`` (their 95th percentile) and ``p`` (:func:`permutation_p_value`).
    """
    if gap not in GAP_NAMES:
        raise ValueError(f"gap must be one of {GAP_NAMES}, not {gap!r}")
    if n_shuffles < 1:
        raise ValueError(f"n_shuffles must be at least 1, not {n_shuffles}")
    y_true, y_pred, group = _arrays(y_true, y_pred, group)
    _, codes = np.unique(group, return_inverse=True)
    k = int(codes.max()) + 1
    j = GAP_NAMES.index(gap)
    observed = float(gaps_from_rates(_rates_per_group(y_true[None], y_pred[None], codes[None], k))[0, j])
    strata = {"demographic parity gap": [np.ones(len(y_true), bool)],
              "equal opportunity gap": [y_true == 1],
              "equalized odds gap": [y_true == 1, y_true == 0]}[gap]
    if within is not None:
        within = np.asarray(within).ravel()
        if len(within) != len(y_true):
            raise ValueError("within must give one value per face, as y_true does")
        strata = [rows & (within == value) for rows in strata for value in np.unique(within)]
    rng = np.random.default_rng(seed)
    shuffled = []
    for start in range(0, n_shuffles, 200):  # in chunks, to keep memory small
        m = min(200, n_shuffles - start)
        block = np.tile(codes, (m, 1))
        for rows in strata:
            block[:, rows] = rng.permuted(block[:, rows], axis=1)
        rates = _rates_per_group(np.tile(y_true, (m, 1)), np.tile(y_pred, (m, 1)), block, k)
        shuffled.append(gaps_from_rates(rates)[:, j])
    values = np.concatenate(shuffled)
    return {"observed": observed, "shuffled": values, "95% of shuffled gaps below": float(np.percentile(values, 95)),
            "p": permutation_p_value(observed, values)}


def balanced_accuracy(labels: np.ndarray, predictions: np.ndarray) -> np.ndarray:
    """Each column's balanced accuracy: the mean of its true positive and true negative rates.

    Unlike plain accuracy it does not reward always answering "no" for a rare attribute: 0.5 is what a
    coin (or a constant answer) gets, 1.0 is perfect. A column with no positives (or no negatives)
    counts the missing rate as 0, as fairlearn does.

    Args:
        labels: 0/1 labels, ``(n,)`` or ``(n, n_attributes)``.
        predictions: 0/1 predictions of the same shape.

    Returns:
        One balanced accuracy per column (a 0-d array for 1-d inputs).
    """
    labels, predictions = np.asarray(labels).astype(int), np.asarray(predictions).astype(int)
    if labels.shape != predictions.shape:
        raise ValueError(f"labels and predictions must have the same shape, got {labels.shape} and {predictions.shape}")
    positive, negative = labels == 1, labels == 0
    with np.errstate(invalid="ignore", divide="ignore"):
        tpr = np.nan_to_num(((predictions == 1) & positive).sum(axis=0) / positive.sum(axis=0))
        tnr = np.nan_to_num(((predictions == 0) & negative).sum(axis=0) / negative.sum(axis=0))
    return (tpr + tnr) / 2


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
