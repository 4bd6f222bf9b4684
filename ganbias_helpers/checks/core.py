"""How a graded function's result is judged: a case, its comparisons, and calling a student's function in place.

A :class:`Case` is one call of a graded function: its inputs, the expected value
(computed with :mod:`ganbias_helpers.reference`), a comparison that raises
:class:`CheckFailed` with a message for the student, and the known mistakes
worth naming when a value is wrong. The comparisons, the named mistakes and the
visible cases are defined once, per notebook, in this package
(:mod:`ganbias_helpers.checks.items`); the hidden cases only the grader has
(``autograder.items``) are judged with the same comparisons:

* ``ganbias grade`` sends each case's inputs to the sandbox and judges what comes back;
* a notebook's check cell calls :func:`~.cells.check` (the grader's hidden test cells
  ``autograder.hidden.check_hidden``), which calls the function in place (the same
  :func:`~ganbias_helpers.checks.calls.perform_call`) and judges it the same way.

Messages describe what is wrong (shape, type, a sign, the target left in the
list...) and the tolerance used, never the hidden expected values.
"""

from __future__ import annotations

import copy
import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

from .calls import CallResult, fresh_models, perform_call
from .codec import MAX_MESSAGE_BYTES, DecodeError, ModelRef, Opaque, decode, encode

GEN, CLASSIFIER = ModelRef("gen"), ModelRef("classifier")

#: The names of the arguments an exercise says must not be changed in place, for the feedback.
ARGUMENT_NAMES = {("remove_from_list", 0): "indices", ("steering_step", 2): "noise",
                  ("conditional_steering_step", 2): "noise"}


def argument_named(function: str, i: int) -> str:
    """``argument 3 (noise)``: argument ``i`` (from 0) of ``function``, as the feedback names it."""
    name = ARGUMENT_NAMES.get((function, i))
    return f"argument {i + 1}" + (f" ({name})" if name else "")


class CheckFailed(AssertionError):
    """A student's result does not meet a check; the message is the feedback."""


@dataclass
class Case:
    """One call of a graded function and how to judge its result.

    Attributes:
        function: Graded function name.
        name: What this case is, for the feedback (no hidden values).
        args: Positional arguments (:data:`GEN` and :data:`CLASSIFIER` stand for fresh model copies).
        kwargs: Keyword arguments.
        expected: The expected value (never sent to the student's code).
        compare: ``compare(value, expected, case)``; raises :class:`CheckFailed`.
        visible: Run by the notebook's visible check too (else only by the hidden tests and ``ganbias grade``).
        unchanged: Positions of arguments the exercise says must not be changed in place.
        models_untouched: The models' weights must get no gradient and no change (the exercise says so).
        mistakes: Known wrong answers: message -> ``wrong(*args, **kwargs)``; a value matching one is named.
    """

    function: str
    name: str
    args: tuple
    kwargs: dict[str, Any]
    expected: Any
    compare: Callable[[Any, Any, Case], None]
    visible: bool = False
    unchanged: tuple[int, ...] = ()
    models_untouched: bool = False
    mistakes: dict[str, Callable[..., Any]] = field(default_factory=dict)

    @property
    def return_args(self) -> bool:
        """Whether the arguments must come back after the call."""
        return bool(self.unchanged) or self.models_untouched

    @property
    def needs_models(self) -> bool:
        """Whether the case passes the pretrained models."""
        return any(isinstance(a, ModelRef) for a in self.args)

    def judge(self, result: CallResult) -> str | None:
        """None when ``result`` passes, else the reason (for the student)."""
        if result.status != "ok":
            return describe_failure(result)
        try:
            self.compare(result.value, self.expected, self)
            self._check_arguments(result)
        except CheckFailed as err:
            why = str(err)
            named = self._named_mistake(result.value)
            return f"{why} ({named})" if named else why
        except Exception as err:  # a comparison that chokes on a strange value is a failed check
            return f"the returned value could not be checked ({type(err).__name__}: {err})"[:500]
        return None

    def _check_arguments(self, result: CallResult) -> None:
        if not self.return_args:
            return
        if result.args_after is None and result.changed is None:
            raise CheckFailed("the arguments could not be checked after the call")
        # ``changed``: what the grader read back itself from the memory the arguments were handed over in
        # (sandbox.Call.watch); ``args_after`` is the function's own process's account (the in-place check).
        after_all = result.args_after or [None] * len(self.args)
        for i, (before, after) in enumerate(zip(self.args, after_all)):
            if isinstance(before, ModelRef):
                if self.models_untouched and isinstance(after, dict) and after.get("weight_grads"):
                    raise CheckFailed(f"gradients were left on the {before.which}'s weights: take the gradient "
                                      "with respect to the noise only (torch.autograd.grad(..., noise)), and "
                                      "leave the models frozen as they are loaded")
                if self.models_untouched and (i in result.changed if result.changed is not None else
                                              isinstance(after, dict) and after.get("weights_changed")):
                    raise CheckFailed(f"the {before.which}'s weights were changed")
            elif i in self.unchanged and (i in result.changed if result.changed is not None
                                          else not same(before, after)):
                raise CheckFailed(f"{argument_named(self.function, i)} was changed in place; the exercise asks for "
                                  "a new object")
            elif i in self.unchanged and isinstance(before, torch.Tensor) and isinstance(after, torch.Tensor) and \
                    (after.requires_grad, after.grad is None) != (before.requires_grad, before.grad is None):
                raise CheckFailed(f"{argument_named(self.function, i)}, the caller's tensor, was changed: its "
                                  "requires_grad or .grad was set; take the gradient on a copy "
                                  "(noise.detach().requires_grad_(True)) with torch.autograd.grad")

    def _named_mistake(self, value: Any) -> str | None:
        for message, wrong in self.mistakes.items():
            try:
                args = copy.deepcopy(list(self.args))
                if self.needs_models:  # the mistakes run on the models, as the student's function did
                    args = fresh_models(dict(zip(("gen", "classifier"), cpu_models())), args)
                self.compare(value, wrong(*args, **copy.deepcopy(self.kwargs)), self)
            except Exception:  # noqa: S112 (not this mistake)
                continue
            return message
        return None


def describe_failure(result: CallResult) -> str:
    """A call that raised, hung or crashed, in one line (the student's cell and line when known)."""
    if result.status == "error":
        if result.error_type == "DelegationError":
            return result.error.strip().splitlines()[-1].split(": ", 1)[-1]
        lines = [ln for ln in result.error.strip().splitlines() if ln.strip()]
        tail = lines[-1] if lines else "an exception"
        where = [ln.strip() for ln in lines if ln.strip().startswith('File "<cell')]
        loc = " (" + where[-1].replace("File ", "").replace('"', "").replace("<", "").replace(">", "") + ")" \
            if where else ""
        return f"raised {tail}{loc}"
    return result.error or result.status


def same(a: Any, b: Any) -> bool:
    """Whether an argument is unchanged (values and shape)."""
    try:
        if isinstance(a, torch.Tensor):
            return isinstance(b, torch.Tensor) and a.shape == b.shape and bool(torch.equal(a.detach(), b.detach()))
        if isinstance(a, np.ndarray):
            b = np.asarray(b)
            return a.shape == b.shape and bool(np.array_equal(a, b, equal_nan=a.dtype.kind in "fc"))
        if isinstance(a, list):
            return isinstance(b, list) and len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
        return bool(a == b)
    except Exception:  # incomparable: treat as changed
        return False


# ---------------------------------------------------------------- comparisons shared by the items


def type_name(value: Any) -> str:
    """The type of a returned value, as the student wrote it (an unsendable object keeps its type's name)."""
    return value.type_name if isinstance(value, Opaque) else type(value).__name__


def as_array(value: Any, what: str) -> np.ndarray:
    """``value`` as a numeric numpy array, or a :class:`CheckFailed` naming what came back."""
    if isinstance(value, Opaque):
        if value.shape is not None:
            raise CheckFailed(f"{what} has shape {value.shape}, far larger than expected")
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
        raise CheckFailed(f"{what} is not a numeric array (got {type_name(value)})")
    return arr


def tolerance(value: Any) -> tuple[float, float]:
    """``(rtol, atol factor)`` for a returned value: looser for float32 (or lower) results than for float64."""
    dtype = value.dtype if isinstance(value, (np.ndarray, np.generic, torch.Tensor)) else None
    low = dtype is not None and str(dtype).replace("torch.", "") in ("float32", "float16", "bfloat16")
    return (1e-4, 1e-5) if low else (1e-6, 1e-9)


def _plural(what: str) -> bool:
    """Whether a described value is plural ("the indices", "the weights"; a variable's name is not)."""
    return what.startswith("the ") and what.endswith("s")


def _of_shape(actual: Any, e: np.ndarray, what: str) -> np.ndarray:
    """``actual`` as an array of ``e``'s shape (a tensor or array of another shape is refused before any copy)."""
    if isinstance(actual, (torch.Tensor, np.ndarray)) and tuple(actual.shape) != e.shape:
        shape = tuple(actual.shape)
    else:
        a = as_array(actual, what)
        if a.shape == e.shape:
            return a
        shape = tuple(a.shape)
    raise CheckFailed(f"{what} {'have' if _plural(what) else 'has'} shape {shape}, expected {tuple(e.shape)}")


def close(actual: Any, expected: Any, what: str, rtol: float | None = None, scale: float | None = None) -> None:
    """Check shape and values of ``actual`` against ``expected``, relative to the values' scale.

    The tolerance follows the returned dtype (:func:`tolerance`), at least ``rtol``; the
    absolute part is relative to ``scale`` (default: the largest expected magnitude; pass the
    inputs' scale where the expected values can be near zero). The message states the
    tolerance, never the expected values.
    """
    low_rtol, atol_factor = tolerance(actual)
    rtol = max(rtol or 0.0, low_rtol)
    e = np.asarray(expected.detach().numpy() if isinstance(expected, torch.Tensor) else expected, dtype=np.float64)
    a = _of_shape(actual, e, what)
    a = a.astype(np.float64) if a.dtype.kind != "c" else a
    if not np.all(np.isfinite(a)):
        raise CheckFailed(f"{what} contains NaN or infinity")
    if scale is None:
        scale = float(np.max(np.abs(e))) if e.size else 1.0
    atol = max(atol_factor * scale, 1e-12)
    bad = ~np.isclose(a, e, rtol=rtol, atol=atol)
    if bad.any():
        raise CheckFailed(f"{what} {'differ' if _plural(what) else 'differs'} from the expected values at "
                          f"{int(bad.sum())} of {bad.size} positions "
                          f"(allowed: relative {rtol:g}, absolute {atol:.1g})")


def equal_ints(actual: Any, expected: Any, what: str) -> np.ndarray:
    """Check an integer array exactly (order matters); return it."""
    e = np.asarray(expected)
    a = _of_shape(actual, e, what)
    if a.dtype.kind == "f" and np.all(a == np.round(a)):
        a = a.astype(np.int64)
    if a.dtype.kind not in "iu":
        raise CheckFailed(f"{what} should hold integer indices, got dtype {a.dtype}")
    if not np.array_equal(a, e):
        first = int(np.argmax(a != e))
        raise CheckFailed(f"{what} {'differ' if _plural(what) else 'differs'} from the expected order, first at "
                          f"position {first}")
    return a


def pair(value: Any, what: str) -> tuple[Any, Any]:
    """Unpack a 2-tuple result."""
    if not isinstance(value, (tuple, list)) or len(value) != 2:
        raise CheckFailed(f"{what} should return a pair (a tuple of 2 values), got {type_name(value)}")
    return value[0], value[1]


def require(value: Any, kinds: tuple[type, ...], what: str, wanted: str) -> None:
    """Raise :class:`CheckFailed` unless ``value`` is one of ``kinds``."""
    if not isinstance(value, kinds):
        raise CheckFailed(f"{what} should be {wanted}, got {type_name(value)}")


# ---------------------------------------------------------------- calling a student's function in place


@functools.cache
def cpu_models() -> tuple[torch.nn.Module, torch.nn.Module]:
    """The shipped generator and classifier on the CPU, loaded once (as the sandbox loads them)."""
    from ganbias_helpers.weights import load_pretrained

    return load_pretrained(device="cpu")


def call_in_place(fn: Callable[..., Any], case: Case) -> CallResult:
    """Call a student's function on one case in this process, as the sandbox would, and return the outcome."""
    from ganbias_helpers import reference

    models = dict(zip(("gen", "classifier"), cpu_models())) if case.needs_models else {}
    args = fresh_models(models, copy.deepcopy(list(case.args)))
    with reference.refused():
        message = perform_call(fn, args, copy.deepcopy(case.kwargs), case.return_args)
    message["output"] = ""
    data = encode(message)
    if len(data) > MAX_MESSAGE_BYTES:  # as the sandbox would refuse it
        return CallResult("crashed", error="returned a value too large to check")
    try:
        return CallResult.from_message(decode(data))  # what the sandbox's wire format would deliver
    except DecodeError:
        return CallResult("crashed", error="its result could not be read back")
