"""Call a student's graded function once and record the outcome: the one call of both graders.

The sandbox's runner (the grader's ``_runner.py``) and a notebook's own check cells
(:func:`ganbias_helpers.checks.core.call_in_place`) call a student's function with
:func:`perform_call`, so it is called, and its outcome recorded, the same way in both.

Like :mod:`.codec`, this module imports nothing of the course package: the sandbox
runs a private copy of it, beside the runner and the codec.
"""

from __future__ import annotations

import builtins
import copy
import os
import sys
import traceback
from dataclasses import dataclass
from typing import Any

try:  # imported as part of the course package
    from . import codec
except ImportError:  # run inside the sandbox, beside a copy of codec.py
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import codec  # type: ignore[no-redef]


@dataclass
class CallResult:
    """What came back from one call.

    Attributes:
        status: ``"ok"`` (returned), ``"error"`` (raised), ``"timeout"``, ``"crashed"`` or ``"skipped"``.
        value: The decoded return value (``status == "ok"``).
        args_after: The arguments after the call, when asked for.
        error: Traceback or reason, for the feedback.
        error_type: The exception's class name, when it raised.
        output: What the call printed (cut short).
    """

    status: str
    value: Any = None
    args_after: list | None = None
    error: str = ""
    error_type: str = ""
    output: str = ""

    @classmethod
    def from_message(cls, msg: dict[str, Any]) -> CallResult:
        """From a result message (see :func:`perform_call`)."""
        ok = msg.get("ok") is True
        after = msg.get("args_after")
        return cls("ok" if ok else "error", value=msg.get("value") if ok else None,
                   args_after=after if isinstance(after, list) else None, error=str(msg.get("error", ""))[:4000],
                   error_type=str(msg.get("error_type", ""))[:100], output=str(msg.get("output", ""))[:2000])


def error_text(err: BaseException, limit: int = 3000) -> str:
    """The traceback of a student's exception, the graders' own frames left out."""
    lines = traceback.format_exception(type(err), err, err.__traceback__)
    ours = ("_runner.py", os.sep + "calls.py", os.path.join("checks", "core.py"))
    kept = [ln for ln in lines if not any(part in ln for part in ours)]
    return "".join(kept)[-limit:]


def model_state(model: Any, before: list[Any]) -> dict[str, bool]:
    """What a call did to a model: gradients left on its weights, weights changed."""
    params = list(model.parameters())
    return {"weight_grads": any(p.grad is not None for p in params),
            "weights_changed": any(not bool((p.detach() == b).all()) for p, b in zip(params, before))}


def perform_call(fn: Any, args: list[Any], kwargs: dict[str, Any], return_args: bool) -> dict[str, Any]:
    """Call a student's function once and describe the outcome (value or error, arguments after).

    ``args`` hold real models where the case has a :class:`~codec.ModelRef` (fresh
    copies); each model is reported by :func:`model_state` instead of being sent back.
    """
    torch = sys.modules.get("torch")  # no torch imported: no model among the arguments
    models = {i: [p.detach().clone() for p in a.parameters()] for i, a in enumerate(args)
              if torch is not None and isinstance(a, torch.nn.Module)}
    message: dict[str, Any] = {}
    try:
        value = fn(*args, **kwargs)
        message.update(ok=True, value=value)
    except BaseException as err:  # noqa: B036 (SystemExit, KeyboardInterrupt from a student count too)
        message.update(ok=False, error=error_text(err), error_type=type(err).__name__)
    if return_args:
        message["args_after"] = [model_state(a, models[i]) if i in models else a for i, a in enumerate(args)]
    return message


def reference_helpers(sources: dict[str, str]) -> dict[str, Any]:
    """Define reference helpers from their standalone sources: graded name -> function."""
    helpers = {}
    for name, source in sources.items():
        ns: dict[str, Any] = {"__name__": f"reference_{name}", "__builtins__": builtins}
        exec(compile(source, f"<reference {name}>", "exec"), ns)
        helpers[name] = ns[name]
    return helpers


def fresh_models(models: dict[str, Any], args: list[Any]) -> list[Any]:
    """``args`` with each :class:`~codec.ModelRef` replaced by a fresh copy of that model."""
    return [copy.deepcopy(models[a.which]) if isinstance(a, codec.ModelRef) else a for a in args]
