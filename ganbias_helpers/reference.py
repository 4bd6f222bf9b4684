"""Reference implementations of every computation the course grades, in one place.

The steering experiment, the demo and the later notebooks use these (through
:mod:`ganbias_helpers.steering`), and the autograder computes its expected values
with them. Each one is marked :func:`graded`, so that a student's answer that
calls it instead of writing the computation earns no credit:

* in a notebook graded in place (``nbgrader autograde``), the checks call the
  student's function inside :func:`refused`, where every graded implementation
  raises :class:`DelegationError`;
* in ``ganbias grade``'s sandbox the student's code sees a copy of this module whose
  graded functions have no body at all (:func:`stubbed_source`), so no alias,
  wrapper or trick in the student's own interpreter can reach them.

Each function here imports only numpy and torch and calls no other function of
this module except where noted, so that its source can stand alone
(:func:`standalone_source`), which the grader uses to put a reference helper in
place of a student's helper (one mistake costs one function).
"""

from __future__ import annotations

import ast
import contextlib
import functools
import inspect
from collections.abc import Callable, Iterator, Sequence
from typing import Any, TypeVar

import numpy as np
import torch
from torch import nn

F = TypeVar("F", bound=Callable[..., Any])

_refusals = 0  # > 0 while a student's graded function runs (see refused())


class DelegationError(RuntimeError):
    """A student's answer called the package's own implementation of a graded computation."""


def delegation_message(name: str) -> str:
    """What a student is told when their answer calls the package's implementation ``name``."""
    return (f"your answer calls the course package's own implementation ({name} in ganbias_helpers.reference, "
            "directly or through a package helper built on it, such as steer or gaps_with_intervals), which "
            "computes what the exercise asks you to write: write the computation yourself (numpy, torch and "
            "fairlearn are fine)")


def _refusing(fn: F, message: Callable[[], str]) -> F:
    """``fn``, raising :class:`DelegationError` with ``message()`` while a student's answer runs (:func:`refused`)."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if _refusals:
            raise DelegationError(message())
        return fn(*args, **kwargs)

    del wrapper.__wrapped__  # type: ignore[attr-defined]  # fn.__wrapped__ would hand out the unrefused body
    return wrapper  # type: ignore[return-value]


def graded(fn: F) -> F:
    """Mark ``fn`` as the implementation of a graded computation (refused while a student's answer runs)."""
    return _refusing(fn, lambda: delegation_message(fn.__name__))


def checks_piece(fn: F) -> F:
    """Mark ``fn``, a piece of the course's checks (:mod:`ganbias_helpers.checks`), refused while an answer runs.

    The checks' named mistakes and case makers are built of the right computations (``_gap(_rates(...))`` is the
    demographic parity gap), so an answer calling one would get credit for the package's work. A helper of the
    package built the same way (``fairness._rates_per_group``: every group's rates) is marked too; in the
    grader's sandbox every function so marked has no body (``autograder/sandbox.py``).
    """
    def message() -> str:
        what = "checks" if fn.__module__.startswith("ganbias_helpers.checks") else "helpers"
        return (f"your answer calls a piece of the course package's {what} ({fn.__module__}.{fn.__name__}), which "
                "are built of the right computations: write the computation yourself (numpy, torch and fairlearn "
                "are fine)")

    wrapper = _refusing(fn, message)
    wrapper.refused_in_answers = True  # type: ignore[attr-defined]
    return wrapper


@contextlib.contextmanager
def refused() -> Iterator[None]:
    """Within the block, every :func:`graded` function raises :class:`DelegationError`."""
    global _refusals
    _refusals += 1
    try:
        yield
    finally:
        _refusals -= 1


# ---------------------------------------------------------------- steering (notebooks 02 and 06)


@graded
def project_out(direction: torch.Tensor, other: torch.Tensor, eps: float = 1e-12) -> torch.Tensor:
    """Remove from each row of ``direction`` its component along the same row of ``other``.

    Both have shape ``(n, z_dim)``; the result is orthogonal to ``other`` row by row.
    """
    coef = (direction * other).sum(dim=1, keepdim=True) / (other * other).sum(dim=1, keepdim=True).clamp_min(eps)
    return direction - coef * other


@graded
def steering_direction(
    gen: nn.Module,
    classifier: nn.Module,
    noise: torch.Tensor,
    target_index: int,
    hold_indices: Sequence[int] = (),
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """The per-image unit direction in noise space that most raises the target's logit.

    With ``hold_indices``, the direction is first made orthogonal to the
    gradients of those attributes' logits (one after another, Gram-Schmidt),
    so that a small step leaves them unchanged to first order: an adaptation,
    per image and with the classifier's gradients, of InterfaceGAN's conditional
    manipulation (which projects out fixed linear boundaries).

    Only the noise gets a gradient (:func:`torch.autograd.grad`); nothing is
    stored on the models' weights.

    Returns:
        ``(direction, classifications, images)``: the direction ``(n, z_dim)`` and the
        detached logits ``(n, 40)`` and images of the current noise.
    """
    z = noise.detach().requires_grad_(True)
    with torch.enable_grad():
        images = gen(z)
        logits = classifier(images)
        wanted = [target_index, *hold_indices]
        grads = [
            torch.autograd.grad(logits[:, i].sum(), z, retain_graph=k < len(wanted) - 1)[0]
            for k, i in enumerate(wanted)
        ]

    def remove(d: torch.Tensor, o: torch.Tensor) -> torch.Tensor:
        return d - (d * o).sum(dim=1, keepdim=True) / (o * o).sum(dim=1, keepdim=True).clamp_min(1e-12) * o

    direction = grads[0]
    basis: list[torch.Tensor] = []
    for g in grads[1:]:
        for b in basis:
            g = remove(g, b)
        basis.append(g)
        direction = remove(direction, g)
    direction = direction / direction.norm(dim=1, keepdim=True).clamp_min(1e-12)
    return direction, logits.detach(), images.detach()


@graded
def steering_step(
    gen: nn.Module,
    classifier: nn.Module,
    noise: torch.Tensor,
    target_index: int,
    step_size: float = 0.1,
    direction: int = 1,
    hold_indices: Sequence[int] = (),
) -> tuple[torch.Tensor, torch.Tensor]:
    """Take one steering step (calls :func:`steering_direction`).

    Classifies the images of ``noise``, then moves each noise vector by
    ``step_size`` along the unit direction that raises (``direction=1``) or
    lowers (``direction=-1``) the target's logit, holding ``hold_indices`` to first order.

    Returns:
        ``(new_noise, classifications)``: the moved noise (detached) and the
        logits of the images *before* the move, shape ``(n, 40)``.
    """
    d, logits, _ = steering_direction(gen, classifier, noise, target_index, hold_indices)
    return (noise.detach() + direction * step_size * d), logits


# ---------------------------------------------------------------- covariance (notebook 03)


@graded
def covariance_matrix(changes: np.ndarray) -> np.ndarray:
    """Covariance of the features over all steps and images: ``(steps, n, f)`` to ``(f, f)`` (divides by N - 1)."""
    changes = np.asarray(changes, dtype=np.float64)
    return np.cov(changes.reshape(-1, changes.shape[-1]), rowvar=False)


@graded
def top_magnitude_indices(values: Any) -> np.ndarray:
    """Indices of ``values`` from the largest magnitude to the smallest (equal magnitudes: first one first)."""
    return np.argsort(-np.abs(np.asarray(values, dtype=np.float64)), kind="stable")


@graded
def remove_value(indices: Any, value: int) -> np.ndarray:
    """A new array of ``indices`` without ``value``, order kept."""
    indices = np.asarray(indices)
    return indices[indices != value]


@graded
def top_covariances(changes: Any, target_index: int, top_n: int = 10) -> tuple[np.ndarray, np.ndarray]:
    """The ``top_n`` features whose change covaries most (in absolute value) with the target's.

    Calls :func:`covariance_matrix`.

    Returns:
        ``(indices, covariances)``, largest magnitude first, target excluded, signs kept.
    """
    if isinstance(changes, torch.Tensor):
        changes = changes.detach().cpu().numpy()
    cov = covariance_matrix(changes)[target_index]
    order = np.argsort(-np.abs(cov), kind="stable")
    order = order[order != target_index][:top_n]
    return order, cov[order]


# ---------------------------------------------------------------- fairness (notebook 04)


def _gap(masks: list[np.ndarray], y_pred: np.ndarray) -> float:
    """Largest minus smallest rate of positive predictions over ``masks`` (an empty mask's rate is 0)."""
    if _refusals:  # the whole of a gap: refused to a student's answer like the graded functions built on it
        raise DelegationError(delegation_message("_gap"))
    rates = [float(np.mean(y_pred[m] == 1)) if m.any() else 0.0 for m in masks]
    return float(max(rates) - min(rates))


@graded
def demographic_parity_gap(y_true: Any, y_pred: Any, group: Any) -> float:
    """Largest minus smallest rate of positive predictions across the groups."""
    y_pred, group = (np.asarray(a) for a in (y_pred, group))
    return _gap([group == g for g in np.unique(group)], y_pred)


@graded
def equalized_odds_gap(y_true: Any, y_pred: Any, group: Any) -> float:
    """The larger of the gaps in true positive rate and in false positive rate across the groups."""
    y_true, y_pred, group = (np.asarray(a) for a in (y_true, y_pred, group))
    return max(_gap([(group == g) & (y_true == truth) for g in np.unique(group)], y_pred) for truth in (1, 0))


@graded
def equal_opportunity_gap(y_true: Any, y_pred: Any, group: Any) -> float:
    """Largest minus smallest true positive rate across the groups."""
    y_true, y_pred, group = (np.asarray(a) for a in (y_true, y_pred, group))
    return _gap([(group == g) & (y_true == 1) for g in np.unique(group)], y_pred)


@graded
def gaps_from_rates(rates: np.ndarray) -> np.ndarray:
    """The three gaps from per-group rates, for many samples at once (what the fairness helpers build on).

    Args:
        rates: ``(..., 3, n_groups)``: each group's selection rate, true positive rate and false
            positive rate (NaN where undefined: counted as 0, as in the gaps above and in fairlearn).

    Returns:
        ``(..., 3)``: the demographic parity, equalized odds and equal opportunity gaps.
    """
    rates = np.nan_to_num(np.asarray(rates, dtype=np.float64), nan=0.0)
    spread = rates.max(axis=-1) - rates.min(axis=-1)
    parity, opportunity, fpr_gap = spread[..., 0], spread[..., 1], spread[..., 2]
    return np.stack([parity, np.maximum(opportunity, fpr_gap), opportunity], axis=-1)


# ---------------------------------------------------------------- sources of bias (notebook 05)


@graded
def per_class_recall(y_true: Any, y_pred: Any, n_classes: int) -> np.ndarray:
    """The recall of each class (0.0 for a class with no examples), shape ``(n_classes,)``."""
    y_true, y_pred = (np.asarray(v.detach().cpu() if isinstance(v, torch.Tensor) else v) for v in (y_true, y_pred))
    recalls = np.zeros(n_classes)
    for c in range(n_classes):
        mask = y_true == c
        if mask.any():
            recalls[c] = np.mean(y_pred[mask] == c)
    return recalls


@graded
def inverse_frequency_weights(labels: Any, n_classes: int) -> torch.Tensor:
    """Balanced class weights ``N / (n_classes * count_c)``, 0 for an absent class; float32, ``(n_classes,)``."""
    labels = torch.as_tensor(np.asarray(labels.detach().cpu() if isinstance(labels, torch.Tensor) else labels),
                             dtype=torch.int64).flatten()
    counts = torch.bincount(labels, minlength=n_classes).double()
    weights = torch.where(counts > 0, len(labels) / (n_classes * counts.clamp_min(1)), torch.zeros_like(counts))
    return weights.float()


# ---------------------------------------------------------------- the sources the grader needs


def _graded_functions(tree: ast.Module) -> list[ast.FunctionDef]:
    return [node for node in tree.body if isinstance(node, ast.FunctionDef)
            and any(isinstance(d, ast.Name) and d.id == "graded" for d in node.decorator_list)]


def stubbed_source() -> str:
    """The source of this module, with the body of every :func:`graded` function and its private helpers refused.

    ``ganbias grade`` puts this file in place of the real one inside its sandbox:
    importing it works (notebooks' setup cells import ``steer`` and friends), and
    every graded implementation raises :class:`DelegationError` whatever calls it.
    """
    tree = ast.parse(inspect.getsource(inspect.getmodule(stubbed_source)))
    graded_nodes = _graded_functions(tree)
    # the module's private helpers the graded functions call (``_gap``: the whole of a fairness gap) lose their
    # bodies too: importing one by name from the copy must not compute what the exercise asks
    used = {n.id for g in graded_nodes for n in ast.walk(g) if isinstance(n, ast.Name)}
    helpers = [node for node in tree.body if isinstance(node, ast.FunctionDef) and node.name.startswith("_")
               and node.name in used]
    for node in graded_nodes + helpers:
        doc = ast.get_docstring(node)
        refusal = ast.parse(f"raise DelegationError(delegation_message({node.name!r}))").body
        node.body = ([ast.Expr(ast.Constant(doc))] if doc else []) + refusal
    return ast.unparse(tree) + "\n"


def standalone_source(name: str, as_name: str | None = None) -> str:
    """The source of the graded function ``name``, undecorated and renamed ``as_name``, to run on its own.

    Used to put a reference helper in place of a student's own; the source imports
    what it needs.
    """
    tree = ast.parse(inspect.getsource(inspect.getmodule(stubbed_source)))
    for node in _graded_functions(tree):
        if node.name == name:
            node.decorator_list = []
            node.name = as_name or name
            header = "from __future__ import annotations\n\nimport numpy as np\nimport torch\n\n\n"
            return header + ast.unparse(ast.Module(body=[node], type_ignores=[])) + "\n"
    raise KeyError(f"no graded reference function named {name!r}")
