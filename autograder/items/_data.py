"""Inputs shared by several hidden builders: a small real steering run and CelebA test predictions."""

from __future__ import annotations

import functools

import numpy as np

from ganbias_helpers.attributes import ATTRIBUTE_NAMES

from .secret import rng_for


@functools.lru_cache(maxsize=4)
def steering_run(secret: str | None) -> tuple[str, np.ndarray]:
    """A small real steering run of notebook 03's hidden cases: ``(target, changes)``.

    The steered attribute and the starting noise are drawn from the secret; the changes
    are the logit changes toward and away from it, ``(8, 6, 40)`` float64, from the
    shipped models (in float32, so that every machine draws the same inputs).
    """
    from ganbias_helpers.checks.core import cpu_models
    from ganbias_helpers.steering import steer

    rng = rng_for("03_covariance: steering run", secret)
    target, seed = str(rng.choice(ATTRIBUTE_NAMES)), int(rng.integers(0, 2**31))
    gen, classifier = cpu_models()
    result = steer(gen, classifier, target, n_images=6, steps=4, seed=seed, progress=False, precision="float32")
    return target, result.changes().astype(np.float64)


@functools.cache
def test_predictions() -> tuple[np.ndarray, np.ndarray]:
    """The shipped classifier's labels and predictions on CelebA's test split (0/1, ``(n, 40)``)."""
    from ganbias_helpers.fairness_data import load_test_predictions

    return load_test_predictions()
