"""Notebook 05, sources of bias: ``per_class_recall`` and ``inverse_frequency_weights``, 1 point each."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from ganbias_helpers.reference import inverse_frequency_weights, per_class_recall

from ..checks import Case, CheckFailed, as_array, close, require
from . import Item


def _compare_recall(value: Any, expected: np.ndarray, case: Case) -> None:
    require(value, (np.ndarray,), "the recalls", "a numpy array")
    if np.any(np.isnan(as_array(value, "the recalls"))):
        raise CheckFailed("the recalls contain nan: a class with no examples gets 0.0")
    close(value, expected, "the recalls")


def _precision(y_true: Any, y_pred: Any, n_classes: int) -> np.ndarray:
    y_true, y_pred = (np.asarray(v) for v in (y_true, y_pred))
    return np.array([np.mean(y_true[y_pred == c] == c) if np.any(y_pred == c) else 0.0 for c in range(n_classes)])


def _counts(y_true: Any, y_pred: Any, n_classes: int) -> np.ndarray:
    y_true, y_pred = (np.asarray(v) for v in (y_true, y_pred))
    return np.array([np.sum((y_true == c) & (y_pred == c)) for c in range(n_classes)], dtype=np.float64)


def _recall_cases() -> list[Case]:
    rng = np.random.default_rng(9)
    y = rng.integers(0, 3, 300)
    p = np.where(rng.random(300) < 0.7, y, rng.integers(0, 3, 300))
    big_y = rng.integers(0, 5, 1000)
    big_p = np.where(rng.random(1000) < 0.5, big_y, rng.integers(0, 5, 1000))
    absent_true, absent_pred = np.array([0, 0, 1, 1, 3, 3, 0]), np.array([0, 1, 1, 2, 3, 0, 2])
    inputs = [(True, "5 labels, 3 classes", (np.array([0, 0, 1, 1, 2]), np.array([0, 1, 1, 1, 0]), 3)),
              (True, "a class with no examples (lists)", ([0, 0, 1], [0, 1, 1], 3)),
              (True, "torch tensors", (torch.tensor([1, 0, 1, 1]), torch.tensor([1, 1, 0, 1]), 2)),
              (False, "300 samples, 3 classes", (y, p, 3)),
              (False, "1000 samples, 5 classes", (big_y, big_p, 5)),
              (False, "classes 2 and 4 with no examples", (absent_true, absent_pred, 5)),
              (False, "every prediction in one class", (y, np.zeros_like(y), 3)),
              (False, "Python lists", (absent_true.tolist(), absent_pred.tolist(), 4))]
    mistakes = {"you computed precision (correct among the predicted c), not recall (correct among the true c)":
                _precision,
                "you returned counts of correct predictions; recall is a fraction of each class's examples": _counts}
    return [Case("per_class_recall", desc, args, {}, per_class_recall(*args), _compare_recall, visible=visible,
                 mistakes=mistakes) for visible, desc, args in inputs]


def _compare_weights(value: Any, expected: torch.Tensor, case: Case) -> None:
    require(value, (torch.Tensor,), "the weights", "a torch tensor")
    if value.dtype != torch.float32:
        raise CheckFailed(f"the weights should be float32, got {value.dtype}")
    if not torch.isfinite(value).all():
        raise CheckFailed("the weights contain inf or nan: a class with no examples gets weight 0")
    close(value, expected, "the weights")


def _unnormalised(labels: Any, n_classes: int) -> torch.Tensor:
    counts = torch.bincount(torch.as_tensor(np.asarray(labels), dtype=torch.int64), minlength=n_classes).double()
    return torch.where(counts > 0, 1 / counts.clamp_min(1), torch.zeros_like(counts)).float()


def _weight_cases() -> list[Case]:
    rng = np.random.default_rng(10)
    imbalanced = (rng.random(1000) < 0.1).astype(np.int64)
    four = np.array([0, 0, 0, 1, 3, 3, 0, 1, 0, 3])
    six = rng.integers(0, 6, 999)
    inputs = [(True, "[0, 0, 0, 1] as a tensor, 2 classes", (torch.tensor([0, 0, 0, 1]), 2)),
              (True, "balanced classes (a list)", ([0, 1, 0, 1], 2)),
              (True, "a class with no examples (numpy)", (np.array([0, 0, 1]), 3)),
              (False, "1000 labels, 10% positive", (imbalanced, 2)),
              (False, "4 classes, one of them absent", (four, 4)),
              (False, "labels as a torch tensor", (torch.from_numpy(four), 4)),
              (False, "labels as a Python list, 5 classes", (four.tolist(), 5)),
              (False, "999 labels, 6 classes", (six, 6))]
    mistakes = {"you returned 1 / count; the balanced weight is N / (n_classes * count)": _unnormalised}
    return [Case("inverse_frequency_weights", desc, args, {}, inverse_frequency_weights(*args), _compare_weights,
                 visible=visible, mistakes=mistakes) for visible, desc, args in inputs]


ITEMS = [
    Item("05_sources_of_bias", "per_class_recall", 1, "per_class_recall", _recall_cases),
    Item("05_sources_of_bias", "inverse_frequency_weights", 1, "inverse_frequency_weights", _weight_cases),
]
