"""Inputs shared by several items' cases: a small real steering run and CelebA test predictions."""

from __future__ import annotations

import functools

import numpy as np


@functools.cache
def steering_changes() -> np.ndarray:
    """Logit changes of a small real steering run toward and away from Male, ``(8, 6, 40)``, float64."""
    from ganbias_helpers.steering import steer

    from ..checks import cpu_models

    gen, classifier = cpu_models()
    return steer(gen, classifier, "Male", n_images=6, steps=4, seed=0, progress=False).changes().astype(np.float64)


@functools.cache
def test_predictions() -> tuple[np.ndarray, np.ndarray]:
    """The shipped classifier's labels and predictions on CelebA's test split (0/1, ``(n, 40)``)."""
    from ganbias_helpers.fairness_data import load_test_predictions

    return load_test_predictions()
