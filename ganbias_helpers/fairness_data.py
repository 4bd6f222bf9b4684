"""The classifier's predictions on CelebA's test split, shipped as a small derived file (no images).

``weights/test_predictions.npz`` holds two ``uint8`` arrays of shape ``(n, 40)``:
``labels`` (CelebA's own 0/1 labels) and ``predictions`` (the shipped
classifier's 0/1 predictions, ``logit > 0``), rows in the same order. The
fairness notebook measures its gaps on them with "Male" as the group.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from .attributes import N_ATTRIBUTES

#: Where the shipped predictions live, next to the weights.
TEST_PREDICTIONS_FILE = Path(__file__).resolve().parent / "weights" / "test_predictions.npz"


class PredictionsFileError(RuntimeError):
    """The predictions file is missing or does not hold the expected arrays."""


def load_test_predictions(path: str | os.PathLike | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Load CelebA test labels and the shipped classifier's predictions.

    Args:
        path: A file in the same format to read instead of the shipped one.

    Returns:
        ``(labels, predictions)``: two ``uint8`` arrays of 0s and 1s, each ``(n, 40)``,
        one row per test image and one column per attribute (see ``ATTRIBUTE_NAMES``).

    Raises:
        PredictionsFileError: If the file is missing, unreadable, or its arrays have
            the wrong keys, shapes or values.
    """
    file = Path(path) if path is not None else TEST_PREDICTIONS_FILE
    if not file.exists():
        raise PredictionsFileError(
            f"predictions file not found: {file}. It ships with the package (ganbias_helpers/weights/); "
            "reinstall the package, or run 'git checkout -- ganbias_helpers/weights' in a clone."
        )
    try:
        with np.load(file, allow_pickle=False) as z:
            arrays = {key: np.asarray(z[key]) for key in ("labels", "predictions")}
    except KeyError as err:
        raise PredictionsFileError(f"{file} must hold the arrays 'labels' and 'predictions' ({err})") from err
    except (OSError, ValueError) as err:
        raise PredictionsFileError(f"{file} is not a readable .npz file ({type(err).__name__}: {err})") from err
    labels, predictions = arrays["labels"], arrays["predictions"]
    for name, arr in arrays.items():
        if arr.ndim != 2 or arr.shape[1] != N_ATTRIBUTES:
            raise PredictionsFileError(f"{file}: '{name}' has shape {arr.shape}, expected (n, {N_ATTRIBUTES})")
        if not np.isin(arr, (0, 1)).all():
            raise PredictionsFileError(f"{file}: '{name}' must hold only 0s and 1s")
    if labels.shape != predictions.shape:
        raise PredictionsFileError(
            f"{file}: 'labels' {labels.shape} and 'predictions' {predictions.shape} differ in shape"
        )
    return labels.astype(np.uint8), predictions.astype(np.uint8)
