"""The visible checks name common student mistakes (messages found by trying the student edition)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from ganbias_helpers.checks import check


def _forgot_n_classes(labels, n_classes):  # noqa: ANN001, ANN202
    counts = torch.bincount(torch.as_tensor(np.asarray(labels), dtype=torch.int64), minlength=n_classes).float()
    return torch.where(counts > 0, len(labels) / counts.clamp_min(1), torch.zeros_like(counts))


def test_inverse_frequency_weights_without_n_classes_is_named(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(AssertionError):
        check("inverse_frequency_weights", {"inverse_frequency_weights": _forgot_n_classes})
    assert "you returned N / count: divide by n_classes too" in capsys.readouterr().out


def _removes_in_place(indices, index_to_remove):  # noqa: ANN001, ANN202
    indices[indices == index_to_remove] = -1
    return np.array([x for x in indices if x not in (-1, index_to_remove)])


def test_an_argument_changed_in_place_is_named(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(AssertionError):
        check("remove_from_list", {"remove_from_list": _removes_in_place})
    assert "argument 1 (indices) was changed in place" in capsys.readouterr().out
