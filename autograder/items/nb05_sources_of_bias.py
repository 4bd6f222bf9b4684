"""Notebook 05's hidden cases: drawn labels and predictions (sizes, classes, absent classes, types)."""

from __future__ import annotations

import numpy as np
import torch

from ganbias_helpers.checks.core import Case
from ganbias_helpers.checks.nb05_sources_of_bias import noisy_predictions, recall_case, weights_case

from .secret import rng_for


def _absent(rng: np.random.Generator, n_classes: int, missing: int) -> tuple[np.ndarray, np.ndarray]:
    """A few labels of ``n_classes`` classes, ``missing`` of which have no example (predictions may name them)."""
    present = rng.choice(n_classes, size=n_classes - missing, replace=False)
    n = int(rng.integers(7, 13))
    return rng.choice(present, size=n), rng.integers(0, n_classes, n)


def _recall(secret: str | None) -> list[Case]:
    rng = rng_for("per_class_recall", secret)
    y, p = noisy_predictions(rng, int(rng.integers(200, 401)), 3, float(rng.uniform(0.6, 0.8)))
    big_y, big_p = noisy_predictions(rng, int(rng.integers(800, 1201)), 5, float(rng.uniform(0.4, 0.6)))
    absent_true, absent_pred = _absent(rng, 5, 2)
    list_true, list_pred = _absent(rng, 4, 1)
    return [recall_case(False, f"{len(y)} samples, 3 classes", (y, p, 3)),
            recall_case(False, f"{len(big_y)} samples, 5 classes", (big_y, big_p, 5)),
            recall_case(False, "two classes with no examples", (absent_true, absent_pred, 5)),
            recall_case(False, "every prediction in one class", (y, np.full_like(y, int(rng.integers(0, 3))), 3)),
            recall_case(False, "Python lists", (list_true.tolist(), list_pred.tolist(), 4))]


def _weights(secret: str | None) -> list[Case]:
    rng = rng_for("inverse_frequency_weights", secret)
    n = int(rng.integers(800, 1201))
    share = float(rng.uniform(0.05, 0.2))
    imbalanced = (rng.random(n) < share).astype(np.int64)
    four, _ = _absent(rng, 4, 1)
    six = rng.integers(0, 6, int(rng.integers(800, 1201)))
    return [weights_case(False, f"{n} labels, about {share:.0%} positive", (imbalanced, 2)),
            weights_case(False, "4 classes, one of them absent", (four, 4)),
            weights_case(False, "labels as a torch tensor", (torch.from_numpy(four.astype(np.int64)), 4)),
            weights_case(False, "labels as a Python list, 5 classes", (four.tolist(), 5)),
            weights_case(False, f"{len(six)} labels, 6 classes", (six, 6))]


HIDDEN = {"per_class_recall": _recall, "inverse_frequency_weights": _weights}
