"""Notebook 03's hidden cases: a small real steering run (drawn attribute and noise) and drawn synthetic arrays."""

from __future__ import annotations

import numpy as np
import torch

from ganbias_helpers.attributes import ATTRIBUTE_NAMES, attribute_index
from ganbias_helpers.checks.core import Case
from ganbias_helpers.checks.nb03_covariance import (
    cov_case,
    normal_samples,
    order_case,
    remove_case,
    synthetic_changes,
    top_case,
)
from ganbias_helpers.reference import covariance_matrix, top_magnitude_indices

from ._data import steering_run
from .secret import rng_for


def _seed(rng: np.random.Generator) -> int:
    return int(rng.integers(0, 2**31))


def _cov(secret: str | None) -> list[Case]:
    rng = rng_for("covariance_matrix_from_examples", secret)
    target, real = steering_run(secret)
    steps, n = int(rng.integers(10, 31)), int(rng.integers(8, 21))
    wide = (int(rng.integers(2, 5)), int(rng.integers(30, 61)), 40)
    one = (1, int(rng.integers(20, 41)), int(rng.integers(2, 6)))
    return [cov_case(False, f"changes of a real steering run toward {target}, shape {real.shape}", real),
            cov_case(False, f"float32 samples, shape ({steps}, {n}, 4)",
                     normal_samples(_seed(rng), (steps, n), float32=True)),
            cov_case(False, f"a {wide} array", rng.normal(size=wide)),
            cov_case(False, f"a {one} array: one step", rng.normal(size=one))]


def _order(secret: str | None) -> list[Case]:
    rng = rng_for("get_top_magnitude_indices", secret)
    target, real = steering_run(secret)
    n = int(rng.integers(5, 9))
    ties = rng.choice([0.5, 1.0, 2.0], size=n) * rng.choice([-1.0, 1.0], size=n)
    return [order_case(False, f"covariances of {target} with the 40 attributes (real run)",
                       covariance_matrix(real)[attribute_index(target)]),
            order_case(False, "values with equal magnitudes", ties),
            order_case(False, "40 random values", rng.normal(size=40)),
            order_case(False, "one value", rng.normal(size=1) * 3)]


def _remove(secret: str | None) -> list[Case]:
    rng = rng_for("remove_from_list", secret)
    target, real = steering_run(secret)
    index = attribute_index(target)
    ranked = top_magnitude_indices(covariance_matrix(real)[index])
    values = rng.choice(np.arange(40), size=int(rng.integers(4, 9)), replace=False)
    absent = rng.choice(np.setdiff1d(np.arange(40), values))
    single = int(rng.integers(0, 40))
    return [remove_case(False, f"the ranked attributes of a real run without {target}", ranked, index),
            remove_case(False, "removing the first element", values.copy(), int(values[0])),
            remove_case(False, "removing the last element", values.copy(), int(values[-1])),
            remove_case(False, "a value that is not in the array", values.copy(), int(absent)),
            remove_case(False, "a one-element array holding the value", np.array([single]), single)]


def _top(secret: str | None) -> list[Case]:
    rng = rng_for("get_top_covariances", secret)
    target, real = steering_run(secret)
    index = attribute_index(target)
    other = str(rng.choice([a for a in ATTRIBUTE_NAMES if a != target]))
    features, top_n = int(rng.integers(10, 16)), int(rng.integers(3, 7))
    synth_target = int(rng.integers(0, features))
    synth = synthetic_changes(_seed(rng), int(rng.integers(4, 9)), int(rng.integers(30, 61)), features, synth_target)
    return [top_case(False, f"real steering run, target {target}", real, index, None),
            top_case(False, f"real steering run as a float32 torch tensor, target {target}",
                     torch.from_numpy(real.astype(np.float32)), index, None),
            top_case(False, f"strong negative covariances, target {synth_target}, top_n={top_n}", synth,
                     synth_target, top_n),
            top_case(False, f"real steering run, target {other}, top_n=39", real, attribute_index(other), 39)]


HIDDEN = {"covariance_matrix_from_examples": _cov, "get_top_magnitude_indices": _order,
          "remove_from_list": _remove, "get_top_covariances": _top}
