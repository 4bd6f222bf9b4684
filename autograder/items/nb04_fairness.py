"""Notebook 04's hidden cases: drawn attributes, groupings and subsets of CelebA's test split, drawn synthetic ones."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ganbias_helpers.attributes import ATTRIBUTE_NAMES, attribute_index
from ganbias_helpers.checks.core import Case
from ganbias_helpers.checks.nb04_fairness import GAPS, gap_case, synthetic_predictions

from ._data import test_predictions
from .secret import rng_for

#: Fewest faces of each group with each true label, so that every rate rests on real data.
MIN_FACES = 20


def _celeba_draw(rng: np.random.Generator) -> tuple[str, str, np.ndarray]:
    """An attribute, a grouping attribute and a random subset of the test faces (half to all of them).

    Drawn again until each group has at least :data:`MIN_FACES` faces with and without the attribute.
    """
    labels, _ = test_predictions()
    while True:
        attribute, grouping = (str(a) for a in rng.choice(ATTRIBUTE_NAMES, size=2, replace=False))
        rows = np.sort(rng.choice(len(labels), size=int(rng.integers(len(labels) // 2, len(labels) + 1)),
                                  replace=False))
        truth, group = labels[rows, attribute_index(attribute)], labels[rows, attribute_index(grouping)]
        if min(int(np.sum((group == g) & (truth == t))) for g in (0, 1) for t in (0, 1)) >= MIN_FACES:
            return attribute, grouping, rows


def _inputs(secret: str | None, name: str) -> list[tuple[str, tuple]]:
    rng = rng_for(name, secret)
    labels, predictions = test_predictions()
    inputs = []
    for kind in ("uint8 arrays", "int arrays", "uint8 arrays"):
        attribute, grouping, rows = _celeba_draw(rng)
        a, g = attribute_index(attribute), attribute_index(grouping)
        args = (labels[rows, a], predictions[rows, a], labels[rows, g])
        if kind == "int arrays":
            args = tuple(x.astype(int) for x in args)
        inputs.append((f"CelebA test split ({len(rows):,} faces), {attribute}, groups by {grouping} ({kind})", args))
    y_true, y_pred, group, names = synthetic_predictions(rng, int(rng.integers(400, 801)))
    n = len(y_true)
    inputs += [(f"{n} predictions, three groups", (y_true, y_pred, group)),
               (f"{n} predictions, four groups named by strings", (y_true, y_pred, names)),
               ("boolean arrays", (y_true.astype(bool), y_pred.astype(bool), group == int(rng.integers(0, 3))))]
    return inputs


def _hidden(name: str) -> Callable[[str | None], list[Case]]:
    def build(secret: str | None) -> list[Case]:
        return [gap_case(name, False, desc, args) for desc, args in _inputs(secret, name)]
    return build


HIDDEN = {name: _hidden(name) for name in GAPS}
