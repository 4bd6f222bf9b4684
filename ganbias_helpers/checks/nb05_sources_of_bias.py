"""Notebook 05, sources of bias: ``per_class_recall`` and ``inverse_frequency_weights``, 1 point each.

How each is judged (:func:`recall_case`, :func:`weights_case`, used for the grader's
hidden cases too), the generator of noisy predictions, and the visible cases.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from ganbias_helpers.reference import checks_piece, inverse_frequency_weights, per_class_recall

from .core import Case, CheckFailed, as_array, close, require
from .items import Item


@checks_piece
def _compare_recall(value: Any, expected: np.ndarray, case: Case) -> None:
    require(value, (np.ndarray,), "the recalls", "a numpy array")
    n_classes = case.args[2]
    if np.ndim(value) == 1 and len(value) < n_classes:
        values = f"{len(value)} value{'s' if len(value) != 1 else ''}"
        raise CheckFailed(f"the recalls have {values} for {n_classes} classes: one per class in "
                          "range(n_classes), 0.0 for a class with no examples")
    if np.any(np.isnan(as_array(value, "the recalls"))):
        raise CheckFailed("the recalls contain nan: a class with no examples gets 0.0")
    close(value, expected, "the recalls")


@checks_piece
def _precision(y_true: Any, y_pred: Any, n_classes: int) -> np.ndarray:
    y_true, y_pred = (np.asarray(v) for v in (y_true, y_pred))
    return np.array([np.mean(y_true[y_pred == c] == c) if np.any(y_pred == c) else 0.0 for c in range(n_classes)])


@checks_piece
def _counts(y_true: Any, y_pred: Any, n_classes: int) -> np.ndarray:
    y_true, y_pred = (np.asarray(v) for v in (y_true, y_pred))
    return np.array([np.sum((y_true == c) & (y_pred == c)) for c in range(n_classes)], dtype=np.float64)


@checks_piece
def noisy_predictions(rng: np.random.Generator, n: int, n_classes: int, right: float) -> tuple[np.ndarray,
                                                                                             np.ndarray]:
    """``n`` labels of ``n_classes`` classes and predictions right about ``right`` of the time (else random)."""
    y = rng.integers(0, n_classes, n)
    return y, np.where(rng.random(n) < right, y, rng.integers(0, n_classes, n))


@checks_piece
def recall_case(visible: bool, desc: str, args: tuple) -> Case:
    """A case of ``per_class_recall`` on ``(y_true, y_pred, n_classes)``."""
    mistakes = {"you computed precision (correct among the predicted c), not recall (correct among the true c)":
                _precision,
                "you returned counts of correct predictions; recall is a fraction of each class's examples": _counts,
                "you divided by all the examples; recall divides by the examples of class c":
                lambda t, p, k: _counts(t, p, k) / max(len(np.asarray(t)), 1)}
    return Case("per_class_recall", desc, args, {}, per_class_recall(*args), _compare_recall, visible=visible,
                mistakes=mistakes)


@checks_piece
def _recall_cases() -> list[Case]:
    return [recall_case(True, "5 labels, 3 classes", (np.array([0, 0, 1, 1, 2]), np.array([0, 1, 1, 1, 0]), 3)),
            recall_case(True, "a class with no examples (lists)", ([0, 0, 1], [0, 1, 1], 3)),
            recall_case(True, "torch tensors", (torch.tensor([1, 0, 1, 1]), torch.tensor([1, 1, 0, 1]), 2))]


@checks_piece
def _compare_weights(value: Any, expected: torch.Tensor, case: Case) -> None:
    require(value, (torch.Tensor,), "the weights", "a torch tensor")
    if value.dtype != torch.float32:
        raise CheckFailed(f"the weights should be float32, got {value.dtype}")
    if not torch.isfinite(value).all():
        raise CheckFailed("the weights contain inf or nan: a class with no examples gets weight 0")
    close(value, expected, "the weights")


@checks_piece
def _with_classes(labels: Any, n_classes: int, k: int) -> torch.Tensor:
    counts = torch.bincount(torch.as_tensor(np.asarray(labels), dtype=torch.int64), minlength=n_classes).double()
    weights = len(np.asarray(labels)) / (k * counts.clamp_min(1))
    return torch.where(counts > 0, weights, torch.zeros_like(weights)).float()


@checks_piece
def _unnormalised(labels: Any, n_classes: int) -> torch.Tensor:
    counts = torch.bincount(torch.as_tensor(np.asarray(labels), dtype=torch.int64), minlength=n_classes).double()
    return torch.where(counts > 0, 1 / counts.clamp_min(1), torch.zeros_like(counts)).float()


@checks_piece
def weights_case(visible: bool, desc: str, args: tuple) -> Case:
    """A case of ``inverse_frequency_weights`` on ``(labels, n_classes)``."""
    mistakes = {"you rescaled the weights to sum to 1; the balanced weight is N / (n_classes * count)":
                lambda y, k: _unnormalised(y, k) / _unnormalised(y, k).sum(),
                "you returned 1 / count; the balanced weight is N / (n_classes * count)": _unnormalised,
                "you returned N / count: divide by n_classes too, N / (n_classes * count)":
                lambda y, k: _unnormalised(y, k) * len(np.asarray(y)),
                "you returned frequencies (count / N); the balanced weight is N / (n_classes * count)":
                lambda y, k: torch.bincount(torch.as_tensor(np.asarray(y), dtype=torch.int64), minlength=k).float()
                / len(np.asarray(y)),
                "you used the number of classes present in labels; use n_classes (absent classes count too)":
                lambda y, k: _with_classes(y, k, len(np.unique(np.asarray(y))))}
    return Case("inverse_frequency_weights", desc, args, {}, inverse_frequency_weights(*args), _compare_weights,
                visible=visible, mistakes=mistakes)


@checks_piece
def _weight_cases() -> list[Case]:
    return [weights_case(True, "[0, 0, 0, 1] as a tensor, 2 classes", (torch.tensor([0, 0, 0, 1]), 2)),
            weights_case(True, "balanced classes (a list)", ([0, 1, 0, 1], 2)),
            weights_case(True, "a class with no examples (numpy)", (np.array([0, 0, 1]), 3))]


ITEMS = [
    Item("05_sources_of_bias", "per_class_recall", 1, "per_class_recall", _recall_cases),
    Item("05_sources_of_bias", "inverse_frequency_weights", 1, "inverse_frequency_weights", _weight_cases),
]
