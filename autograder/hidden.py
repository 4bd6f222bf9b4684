"""``check_hidden``: what the solution notebooks' hidden test cells call (stripped from the student release).

The release notebooks' check cells call the student package's
:func:`ganbias_helpers.checks.check` on the visible cases. The solutions' test cells
also hold, between nbgrader's ``### BEGIN HIDDEN TESTS`` / ``### END HIDDEN TESTS``
markers, ``check_hidden(name)``: the grader's hidden cases, drawn from the course
secret (:mod:`autograder.items.secret`), judged in place exactly as ``ganbias grade``
judges them in its sandbox.
"""

from __future__ import annotations

import sys
from typing import Any

from ganbias_helpers.checks.core import run_cases

from .items import hidden_cases_of


def check_hidden(name: str, namespace: dict[str, Any] | None = None) -> None:
    """Check the graded function ``name`` defined in the calling notebook on its hidden cases.

    Prints nothing; raises :class:`AssertionError` naming the failed cases (never their
    expected values) when one fails, which nbgrader counts as a failed test.

    Args:
        name: A graded function's name.
        namespace: Where the function is defined (default: the caller's globals, the notebook's).
    """
    run_cases(name, hidden_cases_of(name), namespace if namespace is not None else sys._getframe(1).f_globals,
              hidden=True)
