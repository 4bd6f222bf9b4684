"""Notebook 03, covariance: the three helpers (1 point each) and ``get_top_covariances`` (2 points).

How each is judged (the case makers ``*_case``, used for the grader's hidden cases
too), the generators of their synthetic inputs, and their visible cases.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from ganbias_helpers.reference import (
    checks_piece,
    covariance_matrix,
    remove_value,
    top_covariances,
    top_magnitude_indices,
)

from .codec import Opaque
from .core import Case, CheckFailed, as_array, close, equal_ints, pair, require
from .items import Item


@checks_piece
def normal_samples(seed: int, shape: tuple[int, int], float32: bool = False) -> np.ndarray:
    """Samples of a 4-feature normal with a known covariance, shape ``(*shape, 4)``."""
    cov = np.array([[10, 2, -0.5, -5], [2, 11, 5, 4], [-0.5, 5, 10, 2], [-5, 4, 2, 11]], dtype=np.float64)
    x = np.random.default_rng(seed).multivariate_normal(np.zeros(4), cov, size=shape)
    return x.astype(np.float32) if float32 else x


# ---------------------------------------------------------------- covariance_matrix_from_examples


@checks_piece
def _compare_matrix(value: Any, expected: np.ndarray, case: Case) -> None:
    shape = np.shape(case.args[0])
    rows, mixed = int(np.prod(shape[:-1])), int(np.prod(shape[1:]))
    got = value.shape if isinstance(value, Opaque) else np.shape(value) if isinstance(value, (np.ndarray,
                                                                                              torch.Tensor)) else None
    if got is not None and tuple(got) != expected.shape:
        if tuple(got) == (rows, rows):  # the wrong axis, however large (sent back as its shape only)
            raise CheckFailed("the matrix is between examples, not features: each row of the reshaped data is one "
                              "example (np.cov's rowvar=False)")
        if len(shape) == 3 and tuple(got) == (mixed, mixed):
            raise CheckFailed("each column mixed images and features: reshape to (-1, number of features) so that "
                              "each row is one example and each column one feature")
    require(value, (np.ndarray, torch.Tensor), "the covariance matrix", "a numpy array")
    arr = as_array(value, "the covariance matrix")
    close(arr, expected, "the covariance matrix")


@checks_piece
def _cov_by_n(examples: Any) -> np.ndarray:
    x = np.asarray(examples, dtype=np.float64).reshape(-1, np.shape(examples)[-1])
    return np.cov(x, rowvar=False, bias=True)


@checks_piece
def _flat(examples: Any) -> np.ndarray:
    return np.asarray(examples, dtype=np.float64).reshape(-1, np.shape(examples)[-1])


@checks_piece
def cov_case(visible: bool, name: str, x: Any) -> Case:
    """A case of ``covariance_matrix_from_examples`` on ``x``."""
    mistakes = {"you divided by N; the sample covariance divides by N - 1 (np.cov's default)": _cov_by_n,
                "you computed the correlation (np.corrcoef), not the covariance":
                lambda e: np.corrcoef(_flat(e), rowvar=False),
                "you did not subtract each feature's mean before multiplying":
                lambda e: _flat(e).T @ _flat(e) / (len(_flat(e)) - 1)}
    return Case("covariance_matrix_from_examples", name, (x,), {}, covariance_matrix(x), _compare_matrix,
                visible=visible, mistakes=mistakes)


@checks_piece
def _cov_cases() -> list[Case]:
    rng = np.random.default_rng(3)
    return [cov_case(True, "samples of a 4-feature normal, shape (60, 128, 4)", normal_samples(0, (60, 128))),
            cov_case(True, "a small (3, 5, 7) array", rng.normal(size=(3, 5, 7)))]


# ---------------------------------------------------------------- get_top_magnitude_indices


@checks_piece
def _compare_order(value: Any, expected: np.ndarray, case: Case) -> None:
    require(value, (np.ndarray,), "the result", "a numpy array of indices")
    values = np.abs(np.asarray(case.args[0], dtype=np.float64))
    got = as_array(value, "the indices")
    if got.dtype.kind == "f" and not np.all(got == np.round(got)):
        raise CheckFailed("the result holds values, not indices: return the positions of the values "
                          "(np.argsort gives them), largest magnitude first")
    if got.shape != expected.shape:
        raise CheckFailed(f"the indices have shape {tuple(got.shape)}, expected {tuple(expected.shape)}")
    if len(np.unique(values)) == len(values):
        equal_ints(got, expected, "the indices")
        return
    # Equal magnitudes: any order among them is right.
    if got.dtype.kind not in "iu" or sorted(got.tolist()) != list(range(len(values))):
        raise CheckFailed("the result is not a permutation of the positions 0 .. n - 1")
    if np.any(np.diff(values[got.astype(np.int64)]) > 0):
        raise CheckFailed("the indices are not ordered by magnitude, largest first")


@checks_piece
def order_case(visible: bool, name: str, x: Any) -> Case:
    """A case of ``get_top_magnitude_indices`` on ``x``."""
    mistakes = {"smallest magnitude first: the largest comes first": lambda v: top_magnitude_indices(v)[::-1],
                "ordered by value, not by magnitude (absolute value)": lambda v: np.argsort(-np.asarray(v)),
                "you returned the sorted values, not their indices": lambda v: np.asarray(v)[top_magnitude_indices(v)]}
    return Case("get_top_magnitude_indices", name, (x,), {}, top_magnitude_indices(x), _compare_order,
                visible=visible, mistakes=mistakes)


@checks_piece
def _order_cases() -> list[Case]:
    return [order_case(True, "[-2, 0, 1]", np.array([-2.0, 0.0, 1.0])),
            order_case(True, "values whose largest magnitudes are negative",
                       np.array([3.0, -7.5, 0.5, -0.1, 6.0, -2.3])),
            order_case(True, "a Python list", [0.5, -4.0, 2.5, -1.5, 3.0])]


# ---------------------------------------------------------------- remove_from_list


@checks_piece
def _compare_removed(value: Any, expected: np.ndarray, case: Case) -> None:
    require(value, (np.ndarray,), "the result", "a numpy array")
    equal_ints(value, expected, "the new array")


@checks_piece
def remove_case(visible: bool, name: str, x: Any, value: int) -> Case:
    """A case of ``remove_from_list``: ``x`` without ``value``."""
    mistakes = {"you removed the element at position index_to_remove, not the value index_to_remove":
                lambda x, i: np.delete(x, i) if 0 <= i < len(x) else x,
                "the result is sorted (np.setdiff1d sorts): keep the order of the input":
                lambda x, i: np.setdiff1d(x, [i])}
    return Case("remove_from_list", name, (x, value), {}, remove_value(x, value), _compare_removed,
                visible=visible, unchanged=(0,), mistakes=mistakes)


@checks_piece
def _remove_cases() -> list[Case]:
    return [remove_case(True, "[3, 2, 1, 0] without 1", np.array([3, 2, 1, 0]), 1),
            remove_case(True, "[5, 4, 3] without 4", np.array([5, 4, 3]), 4)]


# ---------------------------------------------------------------- get_top_covariances


@checks_piece
def _compare_top(value: Any, expected: tuple[np.ndarray, np.ndarray], case: Case) -> None:
    indices, covs = pair(value, case.function)
    idx = as_array(indices, "relevant_indices")
    target = case.args[1]
    if idx.ndim == 1 and np.any(idx == target):
        raise CheckFailed("the target's own index is in relevant_indices: remove it")
    if idx.shape != expected[0].shape:
        raise CheckFailed(f"relevant_indices has shape {tuple(idx.shape)}, expected {tuple(expected[0].shape)}")
    c = as_array(covs, "highest_covariances")
    if c.shape == expected[1].shape and np.allclose(np.abs(c), np.abs(expected[1]), rtol=1e-3) \
            and not np.allclose(c, expected[1], rtol=1e-3):
        raise CheckFailed("highest_covariances lost their signs: rank by magnitude but return the signed values")
    equal_ints(idx, expected[0], "relevant_indices")
    close(c, expected[1], "highest_covariances", rtol=1e-4)


@checks_piece
def synthetic_changes(seed: int, steps: int, n: int, f: int, target: int) -> np.ndarray:
    """Changes where the target covaries strongly, with both signs, with some features."""
    rng = np.random.default_rng(seed)
    t = rng.normal(size=(steps, n, 1)) * 3.0
    loadings = rng.normal(size=f) * 2.0
    loadings[[(target + 1) % f, (target + 4) % f]] = [-4.0, -2.5]  # large negative covariances
    changes = t * loadings + rng.normal(size=(steps, n, f))
    changes[..., target] = t[..., 0] * 2.0 + 0.1 * rng.normal(size=(steps, n))
    return changes


@checks_piece
def top_case(visible: bool, name: str, x: Any, target: int, top_n: int | None) -> Case:
    """A case of ``get_top_covariances`` on changes ``x`` for ``target`` (``top_n`` None: the default)."""
    kwargs = {} if top_n is None else {"top_n": top_n}
    mistakes = {"you ranked by signed value, not by magnitude": lambda x, t, top_n=10: _signed_top(x, t, top_n),
                "smallest magnitude first: rank by magnitude, largest first":
                lambda x, t, top_n=10: _top(x, t, top_n, smallest=True),
                "you kept the first top_n and then removed the target: remove it first, then keep top_n":
                lambda x, t, top_n=10: _top(x, t, top_n, cut_first=True)}
    return Case("get_top_covariances", name, (x, target), kwargs, top_covariances(x, target, **kwargs),
                _compare_top, visible=visible, mistakes=mistakes)


@checks_piece
def _top_cases() -> list[Case]:
    samples = normal_samples(0, (60, 128), float32=True)
    return [top_case(True, "4-feature normal as a torch tensor, target 1, top_n=3", torch.from_numpy(samples), 1, 3),
            top_case(True, "4-feature normal, target 0 (a large negative covariance), top_n=3", samples, 0, 3),
            top_case(True, "4-feature normal as numpy, target 3, top_n=2", samples, 3, 2)]


@checks_piece
def _top(x: Any, target: int, top_n: int, smallest: bool = False, cut_first: bool = False) -> \
        tuple[np.ndarray, np.ndarray]:
    row = covariance_matrix(np.asarray(x.detach().numpy() if isinstance(x, torch.Tensor) else x))[target]
    order = top_magnitude_indices(row)[::-1] if smallest else top_magnitude_indices(row)
    order = order[:top_n][order[:top_n] != target] if cut_first else order[order != target][:top_n]
    return order, row[order]


@checks_piece
def _signed_top(x: Any, target: int, top_n: int) -> tuple[np.ndarray, np.ndarray]:
    row = covariance_matrix(np.asarray(x))[target]
    order = np.argsort(-row, kind="stable")
    order = order[order != target][:top_n]
    return order, row[order]


ITEMS = [
    Item("03_covariance", "covariance_matrix_from_examples", 1, "covariance_matrix", _cov_cases),
    Item("03_covariance", "get_top_magnitude_indices", 1, "top_magnitude_indices", _order_cases),
    Item("03_covariance", "remove_from_list", 1, "remove_value", _remove_cases),
    Item("03_covariance", "get_top_covariances", 2, "top_covariances", _top_cases,
         depends=("covariance_matrix_from_examples", "get_top_magnitude_indices", "remove_from_list")),
]
