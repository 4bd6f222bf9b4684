# points: get_top_magnitude_indices=0
# kind: delegating
# note: fetches top_magnitude_indices through importlib and getattr, inside a wrapper
import importlib


def get_top_magnitude_indices(values):
    module = importlib.import_module("ganbias_helpers.reference")
    top_indices = getattr(module, "top_magnitude_indices")(values)
    return top_indices
