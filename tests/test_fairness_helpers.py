"""ganbias_helpers.fairness: counts, bootstrap intervals, small-group warnings, intersections, post-processing."""

from __future__ import annotations

import numpy as np
import pytest

from ganbias_helpers import attribute_index
from ganbias_helpers.fairness import (
    GAP_NAMES,
    MIN_COUNT,
    balanced_accuracy,
    gap_report,
    gaps_with_intervals,
    group_table,
    intersection_groups,
    permutation_p_value,
    shuffled_gap_test,
    split_halves,
    threshold_optimized_predictions,
    threshold_optimizer_tradeoff,
    wilson_interval,
)
from ganbias_helpers.fairness_data import load_test_predictions
from ganbias_helpers.reference import demographic_parity_gap, equal_opportunity_gap, equalized_odds_gap


def random_case(n: int = 600, seed: int = 0):
    rng = np.random.default_rng(seed)
    group = rng.integers(0, 2, n)
    y_true = (rng.random(n) < np.where(group == 1, 0.6, 0.3)).astype(int)
    y_pred = np.where(rng.random(n) < 0.8, y_true, 1 - y_true)
    return y_true, y_pred, group


def test_group_table_counts_and_rates() -> None:
    y_true = np.array([1, 1, 0, 0, 1, 0, 0, 0])
    y_pred = np.array([1, 0, 1, 0, 1, 1, 0, 0])
    group = np.array(["a", "a", "a", "a", "b", "b", "b", "b"])
    table = group_table(y_true, y_pred, group)
    assert list(table["faces"]) == [4, 4]
    assert list(table["truly positive"]) == [2, 1] and list(table["truly negative"]) == [2, 3]
    assert table.loc["a", "selection rate"] == pytest.approx(0.5)
    assert table.loc["a", "true positive rate"] == pytest.approx(0.5)
    assert table.loc["b", "false positive rate"] == pytest.approx(1 / 3)


def test_group_table_marks_an_undefined_rate_as_nan() -> None:
    table = group_table([0, 0, 1, 0], [0, 1, 1, 0], [0, 0, 1, 1])
    assert np.isnan(table.loc[0, "true positive rate"])


def test_point_estimates_agree_with_the_graded_reference() -> None:
    y_true, y_pred, group = random_case()
    frame = gaps_with_intervals(y_true, y_pred, group, n_boot=200, seed=0)
    assert list(frame.index) == list(GAP_NAMES)
    assert frame.loc["demographic parity gap", "gap"] == pytest.approx(demographic_parity_gap(y_true, y_pred, group))
    assert frame.loc["equalized odds gap", "gap"] == pytest.approx(equalized_odds_gap(y_true, y_pred, group))
    assert frame.loc["equal opportunity gap", "gap"] == pytest.approx(equal_opportunity_gap(y_true, y_pred, group))


def test_intervals_are_seeded_ordered_and_contain_the_estimate() -> None:
    y_true, y_pred, group = random_case()
    a = gaps_with_intervals(y_true, y_pred, group, n_boot=300, seed=3)
    b = gaps_with_intervals(y_true, y_pred, group, n_boot=300, seed=3)
    assert a.equals(b)
    assert (a["low"] <= a["gap"]).all() and (a["gap"] <= a["high"]).all()
    assert (a["high"] - a["low"] > 0).all()


def test_intervals_shrink_with_more_data() -> None:
    small = gaps_with_intervals(*random_case(200, seed=1), n_boot=300)
    large = gaps_with_intervals(*random_case(5000, seed=1), n_boot=300)
    assert ((large["high"] - large["low"]) < (small["high"] - small["low"])).all()


def test_small_groups_get_a_warning_not_silence() -> None:
    y_true, y_pred, group = random_case(400)
    y_true = np.where(group == 1, 0, y_true)
    y_true[np.flatnonzero(group == 1)[:5]] = 1  # group 1 has 5 truly positive faces
    frame = gaps_with_intervals(y_true, y_pred, group, n_boot=100)
    assert frame.loc["equal opportunity gap", "smallest count"] == 5
    assert "too few" in frame.loc["equal opportunity gap", "note"]
    assert frame.loc["demographic parity gap", "note"] == ""
    assert MIN_COUNT > 5


def test_gap_report_on_the_shipped_predictions_flags_heavy_makeup() -> None:
    labels, predictions = load_test_predictions()
    group = labels[:, attribute_index("Male")]
    report = gap_report(labels, predictions, group, ["Smiling", "Heavy_Makeup"], n_boot=100)
    assert report.loc[("Smiling", "equal opportunity gap"), "note"] == ""
    assert "too few" in report.loc[("Heavy_Makeup", "equal opportunity gap"), "note"]
    assert report["95% CI"].str.startswith("[").all()


def test_intersection_groups_names_four_groups() -> None:
    names = intersection_groups(np.array([1, 1, 0, 0]), np.array([1, 0, 1, 0]), "Male", "Young")
    assert list(names) == ["Male, Young", "Male, not Young", "not Male, Young", "not Male, not Young"]


def test_split_halves_is_a_seeded_partition() -> None:
    a, b = split_halves(11, seed=0)
    assert sorted([*a, *b]) == list(range(11)) and len(a) == 5
    assert np.array_equal(split_halves(11, seed=0)[0], a)


def test_threshold_optimizer_closes_the_equalized_odds_gap() -> None:
    labels, predictions = load_test_predictions()
    group = labels[:, attribute_index("Male")]
    i = attribute_index("Young")
    rows, adjusted = threshold_optimized_predictions(labels[:, i], predictions[:, i], group, seed=0)
    assert set(np.unique(adjusted)) <= {0, 1} and len(adjusted) == len(rows)
    table = threshold_optimizer_tradeoff(labels[:, i], predictions[:, i], group, seed=0)
    first, last = table.iloc[0], table.iloc[-1]
    assert last["equalized odds gap"] < first["equalized odds gap"] / 2
    assert last["accuracy"] < first["accuracy"]  # fairness here costs some accuracy
    assert table.equals(threshold_optimizer_tradeoff(labels[:, i], predictions[:, i], group, seed=0))


def test_wilson_interval_matches_the_textbook_and_stays_in_range() -> None:
    low, high = wilson_interval(0, 10)
    assert low == 0.0 and high == pytest.approx(0.2775, abs=1e-4)  # the textbook value for 0 of 10
    low, high = wilson_interval(1, 8)
    assert 0 < low < 1 / 8 < high < 0.5
    assert wilson_interval(0, 0) == (0.0, 1.0)
    with pytest.raises(ValueError, match="successes"):
        wilson_interval(9, 8)


def test_wilson_interval_keeps_its_coverage_on_a_small_group() -> None:
    """Exact coverage over every outcome of 8 faces: close to 95%, where a rate +- 2 SE falls far short."""
    from math import comb

    n = 8
    for p in (0.1, 0.3, 0.5):
        pmf = [comb(n, k) * p**k * (1 - p) ** (n - k) for k in range(n + 1)]
        wilson = sum(w for k, w in enumerate(pmf) if wilson_interval(k, n)[0] <= p <= wilson_interval(k, n)[1])
        naive = sum(w for k, w in enumerate(pmf)
                    if abs(k / n - p) <= 1.96 * np.sqrt(k / n * (1 - k / n) / n))
        assert wilson > 0.92, (p, wilson)
        assert wilson >= naive
        if p == 0.1:
            assert naive < 0.6  # 0 of 8 gives the naive interval [0, 0]


def test_permutation_p_value_counts_the_data_as_one_arrangement() -> None:
    assert permutation_p_value(5.0, np.zeros(999)) == pytest.approx(1 / 1000)  # never 0
    assert permutation_p_value(0.0, np.zeros(9)) == 1.0
    assert permutation_p_value(0.5, [0.1, 0.6, 0.5, 0.2]) == pytest.approx(3 / 5)
    with pytest.raises(ValueError, match="at least one"):
        permutation_p_value(1.0, [])


def test_shuffled_gap_test_tells_a_real_gap_from_chance() -> None:
    rng = np.random.default_rng(0)
    group = rng.integers(0, 2, 2000)
    y_true = rng.integers(0, 2, 2000)
    unrelated = np.where(rng.random(2000) < 0.8, y_true, 1 - y_true)
    unequal = np.where(group == 1, y_true, np.where(rng.random(2000) < 0.5, y_true, 0))  # misses half of group 0
    for gap in GAP_NAMES:
        real = shuffled_gap_test(y_true, unequal, group, gap=gap, n_shuffles=300, seed=1)
        assert real["p"] == pytest.approx(1 / 301) and real["observed"] > real["95% of shuffled gaps below"]
        chance = shuffled_gap_test(y_true, unrelated, group, gap=gap, n_shuffles=300, seed=1)
        assert chance["p"] > 0.01 and len(chance["shuffled"]) == 300
    odds = shuffled_gap_test(y_true, unrelated, group, gap="equalized odds gap", n_shuffles=300, seed=1)
    assert odds["observed"] == pytest.approx(equalized_odds_gap(y_true, unrelated, group))
    again = shuffled_gap_test(y_true, unrelated, group, n_shuffles=300, seed=1)
    assert np.array_equal(again["shuffled"], chance["shuffled"])  # seeded
    with pytest.raises(ValueError, match="gap must be one of"):
        shuffled_gap_test(y_true, unrelated, group, gap="accuracy")


def test_small_groups_get_a_wilson_interval_that_covers_the_gap() -> None:
    y_true, y_pred, group = random_case(400)
    y_true = np.where(group == 1, 0, y_true)
    y_true[np.flatnonzero(group == 1)[:5]] = 1
    frame = gaps_with_intervals(y_true, y_pred, group, n_boot=100)
    row = frame.loc["equal opportunity gap"]
    assert row["interval"] == "Wilson" and row["low"] <= row["gap"] <= row["high"]
    assert frame.loc["demographic parity gap", "interval"] == "bootstrap"
    assert row["high"] - row["low"] > 0.3  # five faces leave the gap wide open


def test_shuffling_within_a_first_split_keeps_it() -> None:
    """Shuffling the second attribute inside the first one's groups keeps the first split's gap as it is."""
    rng = np.random.default_rng(2)
    first, second = rng.integers(0, 2, 3000), rng.integers(0, 2, 3000)
    y_true = rng.integers(0, 2, 3000)
    y_pred = np.where(first == 1, y_true, 0)  # the first attribute matters, the second does not
    four = intersection_groups(first, second, "A", "B")
    within = shuffled_gap_test(y_true, y_pred, four, gap="demographic parity gap", n_shuffles=200, within=first)
    everything = shuffled_gap_test(y_true, y_pred, four, gap="demographic parity gap", n_shuffles=200)
    assert everything["p"] < 0.01  # against fully shuffled groups the four-way gap looks real ...
    assert within["p"] > 0.05  # ... but the second split adds nothing beyond the first
    with pytest.raises(ValueError, match="one value per face"):
        shuffled_gap_test(y_true, y_pred, four, within=first[:10])


def test_balanced_accuracy_matches_the_model_card() -> None:
    """The shipped predictions give the balanced accuracies the model card reports (weights/metrics.json)."""
    import json
    from pathlib import Path

    import ganbias_helpers

    labels, predictions = load_test_predictions()
    card = json.loads((Path(ganbias_helpers.__file__).parent / "weights" / "metrics.json").read_text())
    assert np.allclose(balanced_accuracy(labels, predictions), card["classifier"]["balanced_accuracy"], atol=1e-6)
    assert balanced_accuracy([1, 1, 0, 0], [0, 0, 0, 0]) == pytest.approx(0.5)  # always "no": a coin's score
    with pytest.raises(ValueError, match="same shape"):
        balanced_accuracy([1, 0], [1, 0, 1])
