"""No credit for calling the answer: the answer finds the graded computation in the student package's checks (the
helpers the named mistakes are built from) with importlib and getattr, and calls them."""

import importlib


def demographic_parity_gap(y_true, y_pred, group):
    checks = importlib.import_module("ganbias_helpers.checks.nb04_fairness")
    rates, gap = (getattr(checks, "_" + name) for name in ("rates", "gap"))
    return gap(rates(y_true, y_pred, group, None))
