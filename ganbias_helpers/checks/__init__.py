"""The course's visible checks: what a notebook's check cell runs, with only the student package installed.

``check("function_name")`` (:func:`~ganbias_helpers.checks.core.check`) tries a graded
function of the notebook on its visible cases and says what is wrong. Each graded
function is judged here once (:mod:`~ganbias_helpers.checks.items`: its points, the
reference it is judged against, its comparisons, named mistakes and visible cases;
one module per notebook). The hidden cases are not here: the grader draws them from
the course secret and judges them with these same comparisons.

Modules: :mod:`.core` (a case, how a result is judged, :func:`check`), :mod:`.items` (the
registry of graded functions), :mod:`.calls` (calling a student's function, as the
grader's sandbox does), :mod:`.codec` (the data-only wire format the sandbox uses;
check cells judge values after the same round trip).
"""

from .core import Case, CheckFailed, check

__all__ = ["Case", "CheckFailed", "check"]
