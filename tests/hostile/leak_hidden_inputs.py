"""Hidden inputs leak through the feedback (issue 25): the answer prints a digest of its arguments, walks up to the
runner's request and prints the digests of every call's arguments it finds there, and, on hidden calls, raises an
exception or returns an object whose class is named with the digest.

The grader filed whatever a function printed or raised as visible feedback (shown on Gradescope), and the request
held every hidden input from the start. Now hidden calls' inputs reach the sandbox only after the visible calls have
returned, and nothing a student's code writes or chooses during hidden calls (not even an exception's type or
line) reaches the feedback.
"""

import hashlib
import sys

import numpy as np

CALLS = []


def _digest(args):
    text = repr([np.asarray(a).tolist() for a in args])
    return "HX" + hashlib.sha256(text.encode()).hexdigest()[:20]


def _request_digests():
    found, frame = [], sys._getframe(1)
    while frame is not None:
        for name in ("request", "calls", "call"):
            value = frame.f_locals.get(name)
            items = value.get("calls", [value]) if isinstance(value, dict) else value if isinstance(value, list) \
                else []
            for call in items:
                if isinstance(call, dict) and call.get("function") == "demographic_parity_gap":
                    found.append(_digest(call.get("args", ())))
        frame = frame.f_back
    return found


def demographic_parity_gap(y_true, y_pred, group):
    k = len(CALLS)
    CALLS.append(k)
    mine = _digest((y_true, y_pred, group))
    print(" ".join(dict.fromkeys(_request_digests() + [mine])))
    if k < 3:
        return -1.0
    if k % 2:  # the exception's type (and so its line) chosen by the data: a few bits a call
        kinds = (KeyError, ZeroDivisionError, ArithmeticError, LookupError, OverflowError, IndexError)
        kind = kinds[int(mine[2:6], 16) % len(kinds)]
        if kind is KeyError:
            raise KeyError(mine)
        if kind is ZeroDivisionError:
            raise ZeroDivisionError(mine)
        raise kind(mine)
    return type(mine, (), {})()
