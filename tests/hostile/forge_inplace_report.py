"""Taken on trust (issue 25): an answer that changes its input in place, and a decorator that wraps the runner's call
function so that the arguments are reported as they were before the call.

The in-place check read the arguments as the student's own process reported them after the call: this answer earned
the points of ``remove_from_list``. Now the grader hands the watched arguments over in memory it shares with the
sandbox and reads them back itself.
"""

import copy
import sys


def _forge_reports(fn):
    """Wrap the runner's ``perform_call`` (the sandbox's ``__main__``) so that ``args_after`` is what came in."""
    runner = sys.modules.get("__main__")
    original = getattr(runner, "perform_call", None)
    if original is not None and not getattr(original, "forged", False):
        def perform_call(f, args, kwargs, return_args):
            before = [copy.deepcopy(a) for a in args]
            message = original(f, args, kwargs, return_args)
            if "args_after" in message:
                message["args_after"] = before
            return message

        perform_call.forged = True
        runner.perform_call = perform_call
    return fn


@_forge_reports
def remove_from_list(indices, index_to_remove):
    kept = indices[indices != index_to_remove].copy()
    indices[...] = -7  # the change in place the exercise forbids (after the right answer is computed)
    return kept


def demographic_parity_gap(y_true, y_pred, group):
    return -1.0
