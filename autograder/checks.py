"""The checks of each graded function: inputs, expected values (computed here) and comparisons.

A :class:`Case` holds the inputs sent to the student's sandbox, the expected value
(which stays in the grader's process) and a comparison that raises
:class:`CheckFailed` with a message for the student. The messages describe what is
wrong (shape, type, a sign, the target left in the list...) without printing the
hidden expected values.

The same cases serve ``ganbias grade`` and the pytest report (``pytest autograder
--submission FILE``).
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from .codec import ModelRef, Opaque, decode, encode
from .references import ReferenceError_, References
from .sandbox import CallResult

log = logging.getLogger(__name__)

GEN, CLASSIFIER = ModelRef("gen"), ModelRef("classifier")


class CheckFailed(AssertionError):
    """A student's result does not meet a check; the message is the feedback."""


@dataclass
class Case:
    """One call of a graded function and how to judge its result.

    Attributes:
        function: Graded function name.
        name: What this case is, for the feedback (no hidden values).
        args: Positional arguments sent to the sandbox.
        kwargs: Keyword arguments sent to the sandbox.
        expected: The expected value (never sent).
        compare: ``compare(value, expected, case)``; raises :class:`CheckFailed`.
        unchanged: Positions of arguments that must not be changed in place.
    """

    function: str
    name: str
    args: tuple
    kwargs: dict[str, Any]
    expected: Any
    compare: Callable[[Any, Any, Case], None]
    unchanged: tuple[int, ...] = ()

    def judge(self, result: CallResult) -> str | None:
        """None when ``result`` passes, else the reason (for the student)."""
        if result.status != "ok":
            return _describe_failure(result)
        try:
            self.compare(result.value, self.expected, self)
            if self.unchanged:
                if result.args_after is None:
                    raise CheckFailed("the arguments could not be checked after the call")
                for i in self.unchanged:
                    before, after = self.args[i], result.args_after[i]
                    if not _same(before, after):
                        raise CheckFailed(f"argument {i + 1} was changed in place; return a new object instead")
        except CheckFailed as err:
            return str(err)
        except Exception as err:  # a comparison that chokes on a strange value is a failed check
            return f"the returned value could not be checked ({type(err).__name__}: {err})"[:500]
        return None


def _describe_failure(result: CallResult) -> str:
    if result.status == "error":
        lines = [ln for ln in result.error.strip().splitlines() if ln.strip()]
        tail = lines[-1] if lines else "an exception"
        where = [ln.strip() for ln in lines if ln.strip().startswith('File "<cell')]
        loc = f" ({where[-1]})" if where else ""
        return f"raised {tail}{loc}"
    return result.error or result.status


def _same(a: Any, b: Any) -> bool:
    try:
        if isinstance(a, torch.Tensor):
            return isinstance(b, torch.Tensor) and a.shape == b.shape and bool(torch.equal(a.detach(), b.detach()))
        if isinstance(a, np.ndarray):
            b = np.asarray(b)
            return a.shape == b.shape and bool(np.array_equal(a, b, equal_nan=a.dtype.kind in "fc"))
        if isinstance(a, list):
            return isinstance(b, list) and len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
        return bool(a == b)
    except Exception:  # incomparable: treat as changed
        return False


def as_array(value: Any, what: str) -> np.ndarray:
    """``value`` as a numeric numpy array, or a :class:`CheckFailed` naming what came back."""
    if isinstance(value, Opaque):
        raise CheckFailed(f"{what} is a {value.type_name}, expected an array")
    if value is None:
        raise CheckFailed(f"{what} is None: did you forget `return`?")
    if isinstance(value, torch.Tensor):
        return value.detach().to(torch.float64 if value.is_floating_point() else value.dtype).numpy()
    try:
        arr = np.asarray(value)
    except Exception as err:
        raise CheckFailed(f"{what} cannot be read as an array ({type(err).__name__})") from err
    if arr.dtype == object or arr.dtype.kind not in "biufc":
        raise CheckFailed(f"{what} is not a numeric array (got {type(value).__name__})")
    return arr


def as_number(value: Any, what: str) -> float:
    """``value`` as a Python float (a float, numpy scalar, or one-element array or tensor)."""
    arr = as_array(value, what)
    if arr.size != 1:
        raise CheckFailed(f"{what} should be a single number, got shape {arr.shape}")
    return float(arr.reshape(-1)[0])


def _type_name(value: Any) -> str:
    """The type of a returned value, as the student wrote it (an unsendable object keeps its type's name)."""
    return value.type_name if isinstance(value, Opaque) else type(value).__name__


def close(actual: Any, expected: Any, what: str, rtol: float = 1e-5, atol: float = 1e-8) -> None:
    """Check shape and values of ``actual`` against ``expected`` (messages without the values)."""
    a, e = as_array(actual, what), np.asarray(expected.detach().numpy() if isinstance(expected, torch.Tensor)
                                             else expected, dtype=np.float64)
    if a.shape != e.shape:
        raise CheckFailed(f"{what} has shape {tuple(a.shape)}, expected {tuple(e.shape)}")
    a = a.astype(np.float64) if a.dtype.kind != "c" else a
    if not np.all(np.isfinite(a)):
        raise CheckFailed(f"{what} contains NaN or infinity")
    bad = ~np.isclose(a, e, rtol=rtol, atol=atol)
    if bad.any():
        raise CheckFailed(f"{what} differs from the expected values at {int(bad.sum())} of {bad.size} positions")


def equal_ints(actual: Any, expected: Any, what: str) -> np.ndarray:
    """Check an integer array exactly (order matters); return it."""
    a = as_array(actual, what)
    e = np.asarray(expected)
    if a.shape != e.shape:
        raise CheckFailed(f"{what} has shape {tuple(a.shape)}, expected {tuple(e.shape)}")
    if a.dtype.kind == "f" and np.all(a == np.round(a)):
        a = a.astype(np.int64)
    if a.dtype.kind not in "iu":
        raise CheckFailed(f"{what} should hold integer indices, got dtype {a.dtype}")
    if not np.array_equal(a, e):
        first = int(np.argmax(a != e))
        raise CheckFailed(f"{what} differs from the expected order, first at position {first}")
    return a


def pair(value: Any, what: str) -> tuple[Any, Any]:
    """Unpack a 2-tuple result."""
    if not isinstance(value, (tuple, list)) or len(value) != 2:
        got = _type_name(value)
        raise CheckFailed(f"{what} should return a pair (tuple of 2 values), got {got}")
    return value[0], value[1]


# ---------------------------------------------------------------- comparisons per function


def _compare_steering(value: Any, expected: tuple[torch.Tensor, torch.Tensor], case: Case) -> None:
    new_noise, logits = pair(value, case.function)
    for got, what in ((new_noise, "new_noise"), (logits, "classifications")):
        if not isinstance(got, torch.Tensor):
            name = _type_name(got)
            raise CheckFailed(f"{what} should be a torch tensor, got {name}")
        if got.requires_grad:
            raise CheckFailed(f"{what} is still attached to the autograd graph: return it .detach()ed")
    close(logits, expected[1], "classifications", rtol=1e-3, atol=1e-3)
    noise = case.args[2]
    if new_noise.shape == noise.shape:
        lengths = (new_noise.double() - noise.double()).norm(dim=1)
        step = abs(case.kwargs.get("step_size", 0.1))
        if not torch.allclose(lengths, torch.full_like(lengths, step), atol=1e-4):
            raise CheckFailed("not every row moved by exactly step_size: normalise the gradient of each row")
    close(new_noise, expected[0], "new_noise", rtol=1e-4, atol=1e-4)


def _compare_matrix(value: Any, expected: np.ndarray, case: Case) -> None:
    arr = as_array(value, "the covariance matrix")
    rows = int(np.prod(case.args[0].shape[:-1]))
    if arr.shape == (rows, rows) and arr.shape != expected.shape:
        raise CheckFailed("the covariance matrix is between examples, not features: check np.cov's rowvar")
    close(arr, expected, "the covariance matrix", rtol=1e-5, atol=1e-9)


def _require_array(value: Any, what: str) -> None:
    if not isinstance(value, (np.ndarray, torch.Tensor)):
        name = _type_name(value)
        raise CheckFailed(f"{what} should be a numpy array, got {name}")


def _compare_magnitude_order(value: Any, expected: np.ndarray, case: Case) -> None:
    _require_array(value, "the result")
    values = np.abs(np.asarray(case.args[0], dtype=np.float64))
    got = as_array(value, "the indices")
    if got.shape != expected.shape:
        raise CheckFailed(f"the indices have shape {tuple(got.shape)}, expected {tuple(expected.shape)}")
    if len(np.unique(values)) == len(values):
        equal_ints(got, expected, "the indices")
        return
    # Ties: any order among equal magnitudes is right.
    if sorted(got.tolist()) != list(range(len(values))):
        raise CheckFailed("the indices are not a permutation of the positions")
    if np.any(np.diff(values[got.astype(np.int64)]) > 0):
        raise CheckFailed("the indices are not sorted by magnitude, largest first")


def _compare_removed(value: Any, expected: np.ndarray, case: Case) -> None:
    _require_array(value, "the result")
    equal_ints(value, expected, "the new list")


def _compare_top(value: Any, expected: tuple[np.ndarray, np.ndarray], case: Case) -> None:
    indices, covs = pair(value, case.function)
    idx = as_array(indices, "the indices")
    target = case.args[1]
    if idx.ndim == 1 and np.any(idx == target):
        raise CheckFailed("the target's own index is in the list: remove it")
    if idx.shape != expected[0].shape:
        raise CheckFailed(f"the indices have shape {tuple(idx.shape)}, expected {tuple(expected[0].shape)}")
    c = as_array(covs, "the covariances")
    if c.shape == expected[1].shape and np.allclose(np.abs(c), np.abs(expected[1]), rtol=1e-4, atol=1e-9) \
            and not np.allclose(c, expected[1], rtol=1e-4, atol=1e-9):
        raise CheckFailed("the covariances lost their sign: rank by magnitude but return the signed values")
    equal_ints(idx, expected[0], "the indices")
    close(c, expected[1], "the covariances", rtol=1e-4, atol=1e-9)


def _compare_number(value: Any, expected: float, case: Case) -> None:
    if not isinstance(value, float):
        name = _type_name(value)
        raise CheckFailed(f"{case.function} should return a Python float, not {name}")
    got = as_number(value, f"the value of {case.function}")
    if not np.isfinite(got) or abs(got - expected) > 1e-9:
        raise CheckFailed(f"{case.function} returned a wrong value")


def _compare_recall(value: Any, expected: Any, case: Case) -> None:
    if not isinstance(value, np.ndarray):
        name = _type_name(value)
        raise CheckFailed(f"the recalls should be a numpy array, got {name}")
    close(value, expected, "the recalls", rtol=1e-7, atol=1e-9)


def _compare_weights(value: Any, expected: Any, case: Case) -> None:
    if not isinstance(value, torch.Tensor):
        name = _type_name(value)
        raise CheckFailed(f"the weights should be a torch tensor, got {name}")
    if value.dtype != torch.float32:
        raise CheckFailed(f"the weights should be float32, got {value.dtype}")
    close(value, expected, "the weights", rtol=1e-5, atol=1e-7)


def _compare_projection(value: Any, expected: torch.Tensor, case: Case) -> None:
    close(value, expected, "the projected direction", rtol=1e-4, atol=1e-5)


# ---------------------------------------------------------------- cases per function


def _steering_step_cases(refs: References, function: str,
                         specs: list[tuple[int, int, int, int | None, dict[str, Any]]]) -> list[Case]:
    """Cases for a steering step, optionally holding an attribute: ``(seed, n, target, hold, kwargs)`` each."""
    from ganbias_helpers import ATTRIBUTE_NAMES, Z_DIM, get_noise
    from ganbias_helpers.steering import steering_step

    gen, classifier = refs.models
    cases = []
    for seed, n, target, hold, kwargs in specs:
        noise = get_noise(n, Z_DIM, "cpu", seed=seed)
        holds = () if hold is None else (hold,)
        expected = steering_step(gen, classifier, noise, target, **kwargs, hold_indices=holds)
        desc = ", ".join(f"{k}={v}" for k, v in kwargs.items()) or "default step_size and direction"
        what = f"target {ATTRIBUTE_NAMES[target]}" + ("" if hold is None else f" holding {ATTRIBUTE_NAMES[hold]}")
        cases.append(Case(function, f"{n} faces, {what}, {desc}", (GEN, CLASSIFIER, noise, target, *holds), kwargs,
                          expected, _compare_steering, unchanged=(2,)))
    return cases


def _steering_cases(refs: References) -> list[Case]:
    return _steering_step_cases(refs, "steering_step", [
        (11, 4, 20, None, {}), (12, 3, 31, None, {"step_size": 0.25, "direction": -1}),
        (13, 5, 39, None, {"step_size": 0.1, "direction": 1})])


def _conditional_cases(refs: References) -> list[Case]:
    return _steering_step_cases(refs, "conditional_steering_step", [
        (21, 4, 20, 39, {}), (22, 3, 20, 18, {"step_size": 0.2, "direction": -1}),
        (23, 3, 31, 20, {"step_size": 0.1, "direction": 1})])


def _synthetic_changes(seed: int, steps: int, n: int, f: int, target: int) -> np.ndarray:
    """Changes where the target covaries strongly, with both signs, with some features."""
    rng = np.random.default_rng(seed)
    t = rng.normal(size=(steps, n, 1)) * 3.0
    loadings = rng.normal(size=f) * 2.0
    loadings[[(target + 1) % f, (target + 4) % f]] = [-4.0, -2.5]  # large negative covariances
    changes = t * loadings + rng.normal(size=(steps, n, f))
    changes[..., target] = t[..., 0] * 2.0 + 0.1 * rng.normal(size=(steps, n))
    return changes


def _covariance_cases(refs: References) -> list[Case]:
    from ganbias_helpers.steering import covariance_matrix

    real = refs.steering_changes
    rng = np.random.default_rng(3)
    cov = np.array([[1.0, -0.6, 0.3, 0.0], [-0.6, 2.0, 0.0, 0.5], [0.3, 0.0, 1.5, -0.4], [0.0, 0.5, -0.4, 1.0]])
    mvn = rng.multivariate_normal(np.zeros(4), cov, size=60 * 32).reshape(60, 32, 4)
    small = rng.normal(size=(3, 5, 7))
    return [Case("covariance_matrix_from_examples", name, (x,), {}, covariance_matrix(x), _compare_matrix)
            for name, x in [("changes of a real steering run (8 steps, 6 faces, 40 features)", real),
                            ("samples of a 4-feature normal with known covariance", mvn),
                            ("a small (3, 5, 7) array", small)]]


def _magnitude_cases(refs: References) -> list[Case]:
    from ganbias_helpers.steering import covariance_matrix

    solution = refs.solution("get_top_magnitude_indices")
    row = covariance_matrix(refs.steering_changes)[20]
    rng = np.random.default_rng(4)
    inputs = [("covariances of Male with the 40 features (real run)", row),
              ("values whose largest magnitudes are negative", np.array([3.0, -7.5, 0.5, -0.1, 6.0, 2.2, -2.3])),
              ("values with ties in magnitude", np.array([1.0, -2.0, 2.0, 0.5, -1.0])),
              ("40 random values", rng.normal(size=40)),
              ("a Python list", [0.5, -4.0, 2.5, -1.5, 3.0])]
    return [Case("get_top_magnitude_indices", name, (x,), {}, np.asarray(solution(copy.deepcopy(x))),
                 _compare_magnitude_order, unchanged=(0,)) for name, x in inputs]


def _remove_cases(refs: References) -> list[Case]:
    from ganbias_helpers.steering import covariance_matrix

    solution = refs.solution("remove_from_list")
    order = np.argsort(-np.abs(covariance_matrix(refs.steering_changes)[20]), kind="stable")
    inputs = [("ranked indices of the real run, removing the target 20", order, 20),
              ("removing the first element", np.array([5, 3, 9, 1]), 5),
              ("removing the last element", np.array([5, 3, 9, 1]), 1),
              ("an index that is not in the list", np.array([4, 2, 0]), 7),
              ("a one-element list holding the index", np.array([20]), 20)]
    return [Case("remove_from_list", name, (x, i), {}, np.asarray(solution(x.copy(), i)), _compare_removed,
                 unchanged=(0,)) for name, x, i in inputs]


def _top_cases(refs: References) -> list[Case]:
    from ganbias_helpers.steering import top_covariances

    real32 = refs.steering_changes.astype(np.float32)
    real = real32.astype(np.float64)
    synth = _synthetic_changes(7, 6, 50, 12, 3)
    male = top_covariances(real, 20)
    cases = [
        Case("get_top_covariances", "real steering run, target Male (numpy input)", (real, 20), {}, male,
             _compare_top),
        Case("get_top_covariances", "real steering run, target Male (torch tensor input)",
             (torch.from_numpy(real32), 20), {}, male, _compare_top),
        Case("get_top_covariances", "strong negative covariances, target 3, top_n=5", (synth, 3), {"top_n": 5},
             top_covariances(synth, 3, 5), _compare_top),
        Case("get_top_covariances", "real steering run, target Smiling, top_n=39", (real, 31), {"top_n": 39},
             top_covariances(real, 31, 39), _compare_top),
    ]
    return cases


def _fairness_inputs() -> list[tuple[str, tuple]]:
    from ganbias_helpers import attribute_index
    from ganbias_helpers.fairness_data import load_test_predictions

    labels, predictions = load_test_predictions()
    male = labels[:, attribute_index("Male")]
    smiling, young = attribute_index("Smiling"), attribute_index("Young")
    rng = np.random.default_rng(8)
    n = 600
    group = rng.integers(0, 3, n)
    y_true = (rng.random(n) < np.array([0.3, 0.5, 0.6])[group]).astype(int)
    y_pred = (0.6 * y_true + 0.2 * group + rng.random(n) * 0.6 > 0.6).astype(int)
    names = np.array(["a", "b", "c", "d"])[rng.integers(0, 4, n)]
    small_true = np.array([1, 1, 0, 0, 1, 1, 0, 0, 0, 0])
    small_pred = np.array([1, 0, 0, 0, 1, 1, 1, 1, 1, 0])
    small_group = np.array([0, 0, 0, 0, 1, 1, 1, 1, 1, 1])
    return [
        ("CelebA test split, Smiling, group Male (uint8 arrays)", (labels[:, smiling], predictions[:, smiling], male)),
        ("CelebA test split, Young, group Male", (labels[:, young].astype(int), predictions[:, young].astype(int),
                                                  male.astype(int))),
        ("600 predictions, three groups", (y_true, y_pred, group)),
        ("600 predictions, four groups named by strings", (y_true, y_pred, names)),
        ("boolean arrays", (y_true.astype(bool), y_pred.astype(bool), group == 1)),
        ("10 predictions where the false positive rates differ most", (small_true, small_pred, small_group)),
        ("10 predictions given as Python lists", (small_true.tolist(), small_pred.tolist(), small_group.tolist())),
    ]


def _fairness_cases(refs: References, name: str) -> list[Case]:
    from fairlearn import metrics

    metric = {"demographic_parity_gap": metrics.demographic_parity_difference,
              "equalized_odds_gap": metrics.equalized_odds_difference,
              "equal_opportunity_gap": metrics.equal_opportunity_difference}[name]
    return [Case(name, desc, args, {}, float(metric(args[0], args[1], sensitive_features=args[2])),
                 _compare_number, unchanged=(0, 1)) for desc, args in _fairness_inputs()]


def _recall_cases(refs: References) -> list[Case]:
    solution = refs.solution("per_class_recall")
    rng = np.random.default_rng(9)
    y = rng.integers(0, 3, 300)
    p = np.where(rng.random(300) < 0.7, y, rng.integers(0, 3, 300))
    absent_true, absent_pred = np.array([0, 0, 1, 1, 3, 3, 0]), np.array([0, 1, 1, 2, 3, 0, 2])
    inputs = [("300 samples, 3 classes", (y, p, 3)),
              ("a class with no samples", (absent_true, absent_pred, 4)),
              ("all predictions in one class", (y, np.zeros_like(y), 3)),
              ("Python lists", (absent_true.tolist(), absent_pred.tolist(), 4)),
              ("torch tensors", (torch.from_numpy(y), torch.from_numpy(p), 3))]
    return [Case("per_class_recall", desc, args, {}, np.asarray(solution(*copy.deepcopy(args)), dtype=np.float64),
                 _compare_recall, unchanged=(0, 1)) for desc, args in inputs]


def _weight_cases(refs: References) -> list[Case]:
    solution = refs.solution("inverse_frequency_weights")
    rng = np.random.default_rng(10)
    imbalanced = (rng.random(1000) < 0.1).astype(np.int64)
    four = np.array([0, 0, 0, 1, 3, 3, 0, 1, 0, 3])
    inputs = [("1000 labels, 10% positive", (imbalanced, 2)),
              ("4 classes, one of them absent", (four, 4)),
              ("labels as a torch tensor", (torch.from_numpy(four), 4)),
              ("labels as a Python list", (four.tolist(), 5))]
    return [Case("inverse_frequency_weights", desc, args, {}, solution(*copy.deepcopy(args)).detach().double(),
                 _compare_weights, unchanged=(0,)) for desc, args in inputs]


def _projection_cases(refs: References) -> list[Case]:
    from ganbias_helpers.steering import project_out

    g = torch.Generator().manual_seed(12)
    a, b = torch.randn(5, 64, generator=g), torch.randn(5, 64, generator=g)
    ortho = b - (b * a).sum(1, keepdim=True) / (a * a).sum(1, keepdim=True) * a
    inputs = [("random directions (5, 64)", (a, b)),
              ("other parallel to direction", (a, -3.0 * a)),
              ("directions already orthogonal", (ortho, a))]
    return [Case("project_out", desc, args, {}, project_out(*args), _compare_projection, unchanged=(0, 1))
            for desc, args in inputs]


_BUILDERS: dict[str, Callable[[References], list[Case]]] = {
    "steering_step": _steering_cases,
    "covariance_matrix_from_examples": _covariance_cases,
    "get_top_magnitude_indices": _magnitude_cases,
    "remove_from_list": _remove_cases,
    "get_top_covariances": _top_cases,
    "demographic_parity_gap": lambda r: _fairness_cases(r, "demographic_parity_gap"),
    "equalized_odds_gap": lambda r: _fairness_cases(r, "equalized_odds_gap"),
    "equal_opportunity_gap": lambda r: _fairness_cases(r, "equal_opportunity_gap"),
    "per_class_recall": _recall_cases,
    "inverse_frequency_weights": _weight_cases,
    "project_out": _projection_cases,
    "conditional_steering_step": _conditional_cases,
}


class CaseBook:
    """The cases of every graded function, expected values computed once per grading run.

    Cases that the solution notebook's own answer cannot pass are dropped with a
    warning (so the grader never demands more than the course teaches); a correct
    course has no such warnings, which the tests check.

    Args:
        refs: Where expected values come from.
        functions: Which graded functions to prepare (default all).
        validate: Run each case against the solution notebooks in this process.
    """

    def __init__(self, refs: References, functions: list[str] | None = None, validate: bool = True) -> None:
        self.refs = refs
        self.cases: dict[str, list[Case]] = {}
        self.errors: dict[str, str] = {}
        self.warnings: list[str] = []
        for name in functions or list(_BUILDERS):
            try:
                cases = _BUILDERS[name](refs)
            except ReferenceError_ as err:
                self.errors[name] = str(err)
                continue
            if validate:
                cases = self._validated(name, cases)
            self.cases[name] = cases

    def _validated(self, name: str, cases: list[Case]) -> list[Case]:
        try:
            solution = self.refs.solution(name)
        except ReferenceError_ as err:
            self.warnings.append(f"{name}: cases not checked against the solution ({err})")
            return cases
        kept = []
        gen, classifier = (self.refs.models if any(isinstance(a, ModelRef) for c in cases for a in c.args)
                           else (None, None))
        for case in cases:
            args = [copy.deepcopy(a) if not isinstance(a, ModelRef) else gen if a.which == "gen" else classifier
                    for a in case.args]
            try:
                value = solution(*args, **copy.deepcopy(case.kwargs))
                result = CallResult("ok", value=_as_returned(value), args_after=[_as_returned(a) for a in args])
            except Exception as err:
                result = CallResult("error", error=f"{type(err).__name__}: {err}")
            why = case.judge(result)
            if why is None:
                kept.append(case)
            else:
                self.warnings.append(f"{name}: case '{case.name}' dropped, the solution fails it: {why}")
        return kept


def _as_returned(value: Any) -> Any:
    """What ``value`` looks like after the sandbox's wire format (tensors detached, tuples kept)."""
    return decode(encode({"v": value}))["v"]
