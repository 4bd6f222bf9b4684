# points: equal_opportunity_gap=0
# kind: delegating
# note: looks the package's implementation up by name with importlib and getattr
import importlib


def equal_opportunity_gap(y_true, y_pred, group):
    implementation = getattr(importlib.import_module("ganbias_helpers.reference"), "equal_" + "opportunity_gap")
    return float(implementation(y_true, y_pred, group))
