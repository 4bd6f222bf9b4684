"""What the check cells call: :func:`check` (the visible cases) and :func:`run_cases` (any cases, in place).

A release notebook's check cell runs ``check("name")``; the grader's hidden test cells
(``autograder.hidden.check_hidden``) run the hidden cases through :func:`run_cases`. Both
call the student's function in place (:func:`~.core.call_in_place`, as the sandbox would)
and judge each result with the case's comparison (:meth:`~.core.Case.judge`).
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import Any

from .calls import reference_helpers
from .core import Case, call_in_place
from .items import helper_sources, item_named, visible_cases_of


def run_cases(name: str, cases: Sequence[Case], namespace: dict[str, Any], hidden: bool) -> None:
    """Check the graded function ``name`` defined in ``namespace`` on ``cases``, and say what is wrong.

    Prints a line per case (visible cases only) and raises :class:`AssertionError`
    (what nbgrader counts as a failed test) when a case fails. Graded helpers that
    ``name`` calls are replaced by the reference versions meanwhile, so that one
    mistake costs one function. :func:`check` runs the visible cases; the grader's
    hidden test cells run its hidden ones through here too.

    Args:
        name: A graded function's name (see :mod:`ganbias_helpers.checks.items`).
        cases: Its cases to run.
        namespace: Where the function is defined (the notebook's globals).
        hidden: Whether these are hidden cases (nothing printed, "hidden" in the message).
    """
    item = item_named(name)
    ns = namespace
    fn = ns.get(name)
    if not callable(fn):
        raise AssertionError(f"{name} is not defined: run the cell with your answer first")
    missing = object()
    saved = {dep: ns.get(dep, missing) for dep in item.depends}
    ns.update(reference_helpers(helper_sources(item)))
    failures = []
    try:
        for case in cases:
            why = case.judge(call_in_place(fn, case))
            if not hidden:
                print(("  ok     " if why is None else "  WRONG  ") + case.name + ("" if why is None else f": {why}"))
            if why is not None:
                failures.append(f"{case.name}: {why}")
    finally:
        for dep, value in saved.items():
            if value is missing:
                ns.pop(dep, None)
            else:
                ns[dep] = value
    if failures:
        helpers = f" (with the reference {', '.join(item.depends)} in place of yours)" if item.depends else ""
        raise AssertionError(f"{name}{helpers} fails {len(failures)} of {len(cases)} "
                             f"{'hidden ' if hidden else ''}checks:\n  " + "\n  ".join(failures))
    if not hidden:
        print(f"{name}: all {len(cases)} checks passed.")


def check(name: str, namespace: dict[str, Any] | None = None) -> None:
    """Check the graded function ``name`` defined in the calling notebook on its visible cases.

    The check cells call ``check(name)``: it prints ``ok`` or ``WRONG`` with what to
    fix for each case and raises :class:`AssertionError` when one fails (see
    :func:`run_cases`). Your grade also uses hidden cases with other inputs, which only
    the grader has.

    Args:
        name: A graded function's name (see :mod:`ganbias_helpers.checks.items`).
        namespace: Where the function is defined (default: the caller's globals, the notebook's).

    Raises:
        KeyError: If no graded function has that name.
    """
    cases = visible_cases_of(name)
    run_cases(name, cases, namespace if namespace is not None else sys._getframe(1).f_globals, hidden=False)
