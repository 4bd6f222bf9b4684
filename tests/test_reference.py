"""The reference implementations every grade is judged against: equal to well-known libraries, refused to
students' answers, and the stubbed copy the sandbox sees has no graded code left."""

from __future__ import annotations

import ast

import numpy as np
import pytest
import torch

from ganbias_helpers import reference as ref


def test_fairness_gaps_equal_fairlearn() -> None:
    from fairlearn.metrics import (
        demographic_parity_difference,
        equal_opportunity_difference,
        equalized_odds_difference,
    )

    pairs = [(ref.demographic_parity_gap, demographic_parity_difference),
             (ref.equalized_odds_gap, equalized_odds_difference),
             (ref.equal_opportunity_gap, equal_opportunity_difference)]
    rng = np.random.default_rng(0)
    cases = []
    for n, k in [(30, 2), (400, 3), (2000, 5)]:
        cases.append((rng.integers(0, 2, n), rng.integers(0, 2, n), rng.integers(0, k, n)))
        cases.append((rng.integers(0, 2, n), rng.integers(0, 2, n), rng.choice(["a", "b", "c"][: min(k, 3)], n)))
    # a group with no true positives: fairlearn counts its undefined rate as 0, and so does the exercise text
    cases.append((np.array([0, 0, 1, 1, 0, 1]), np.array([1, 0, 1, 0, 0, 1]), np.array([0, 0, 1, 1, 1, 1])))
    for mine, theirs in pairs:
        for y_true, y_pred, group in cases:
            expected = theirs(y_true, y_pred, sensitive_features=group)
            assert mine(y_true, y_pred, group) == pytest.approx(expected, abs=1e-12), mine.__name__
            assert mine(list(y_true), list(y_pred), list(group)) == pytest.approx(expected, abs=1e-12)


def test_recall_and_weights_equal_sklearn() -> None:
    from sklearn.metrics import recall_score
    from sklearn.utils.class_weight import compute_class_weight

    rng = np.random.default_rng(1)
    for n, k in [(10, 2), (300, 4)]:
        y_true, y_pred = rng.integers(0, k, n), rng.integers(0, k, n)
        y_true[:k] = np.arange(k)
        expected = recall_score(y_true, y_pred, labels=list(range(k)), average=None, zero_division=0)
        assert np.allclose(ref.per_class_recall(y_true, y_pred, k), expected)
        weights = ref.inverse_frequency_weights(torch.from_numpy(y_true), k)
        assert weights.dtype == torch.float32
        assert torch.allclose(weights, torch.tensor(compute_class_weight("balanced", classes=np.arange(k), y=y_true),
                                                    dtype=torch.float32))
    assert ref.per_class_recall([0, 0], [0, 1], 3).tolist() == [0.5, 0.0, 0.0]
    assert ref.inverse_frequency_weights([1, 1], 3).tolist() == pytest.approx([0.0, 1 / 3, 0.0])


def test_covariance_ranking_and_projection() -> None:
    changes = np.random.default_rng(2).normal(size=(8, 16, 5))
    assert np.allclose(ref.covariance_matrix(changes), np.cov(changes.reshape(-1, 5).T))
    order, covs = ref.top_covariances(torch.from_numpy(changes), 2, top_n=3)
    row = np.cov(changes.reshape(-1, 5).T)[2]
    assert 2 not in order and np.allclose(covs, row[order])
    assert list(np.abs(row[order])) == sorted(np.abs(np.delete(row, 2)), reverse=True)[:3]
    assert ref.top_magnitude_indices([3.0, -5.0, 0.5]).tolist() == [1, 0, 2]
    original = np.array([4, 20, 7])
    assert ref.remove_value(original, 20).tolist() == [4, 7] and original.tolist() == [4, 20, 7]
    a, b = torch.randn(6, 64, generator=torch.Generator().manual_seed(4)), torch.randn(6, 64)
    assert torch.allclose((ref.project_out(a, b) * b).sum(1), torch.zeros(6), atol=1e-4)


def test_graded_implementations_are_refused_while_a_student_answer_runs() -> None:
    from ganbias_helpers.steering import top_covariances

    alias = top_covariances
    with ref.refused():
        for call in (lambda: alias(np.zeros((2, 3, 4)), 0), lambda: ref.covariance_matrix(np.zeros((2, 3)))):
            with pytest.raises(ref.DelegationError, match="write the computation yourself"):
                call()
    assert alias(np.random.default_rng(0).normal(size=(2, 3, 4)), 0)[0].shape == (3,)  # and back after
    with ref.refused(), pytest.raises(ref.DelegationError):  # the private helper that is the whole of a gap
        ref._gap([np.array([True, False])], np.array([1, 0]))
    assert ref.demographic_parity_gap([0, 1], [1, 0], [0, 1]) == 1.0


def test_stubbed_copy_has_no_graded_code_and_standalone_helpers_run() -> None:
    source = ref.stubbed_source()
    tree = ast.parse(source)
    graded = [n for n in tree.body if isinstance(n, ast.FunctionDef)
              and any(isinstance(d, ast.Name) and d.id == "graded" for d in n.decorator_list)]
    assert {n.name for n in graded} >= {"steering_step", "steering_direction", "covariance_matrix", "top_covariances",
                                        "project_out", "demographic_parity_gap", "per_class_recall"}
    for node in graded:  # a docstring and the refusal, nothing else
        body = [s for s in node.body if not (isinstance(s, ast.Expr) and isinstance(s.value, ast.Constant))]
        assert len(body) == 1 and isinstance(body[0], ast.Raise), node.name
    ns: dict = {}
    exec(compile(source, "stub", "exec"), ns)
    with pytest.raises(ns["DelegationError"]):
        ns["covariance_matrix"](np.zeros((3, 2)))
    with pytest.raises(ns["DelegationError"]):  # a private helper of the graded functions: the whole of a gap
        ns["_gap"]([np.array([True, False])], np.array([1, 0]))
    for name in ("covariance_matrix", "top_magnitude_indices", "remove_value", "project_out"):
        helper: dict = {}
        exec(compile(ref.standalone_source(name, "helper"), name, "exec"), helper)  # needs nothing from outside
        assert callable(helper["helper"])
