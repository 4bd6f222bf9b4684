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


def _steps(normalise):  # noqa: ANN001, ANN202
    def steering_step(gen, classifier, noise, target_index, step_size=0.1, direction=1):  # noqa: ANN001, ANN202
        z = noise.detach().clone().requires_grad_(True)
        logits = classifier(gen(z))
        grad, = torch.autograd.grad(logits[:, target_index].sum(), z)
        return (noise.detach() + direction * step_size * normalise(grad)).detach(), logits.detach()
    return steering_step


@pytest.mark.parametrize(("normalise", "said"), [
    (lambda g: g, "divide each row by its own length"),
    (lambda g: g / g.norm(), "not of the whole batch"),
])
def test_a_step_not_normalised_by_row_says_how(normalise, said: str,  # noqa: ANN001
                                               capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(AssertionError):
        check("steering_step", {"steering_step": _steps(normalise)})
    out = capsys.readouterr().out
    assert "normalise the gradient of each row (dim=1)" in out and said in out


def test_the_class_report_keeps_the_steering_advice_readable(capsys: pytest.CaptureFixture[str]) -> None:
    """The report writes a check's numbers as N: its advice must not read "every row has length N"."""
    from autograder.class_report import said

    with pytest.raises(AssertionError):
        check("steering_step", {"steering_step": _steps(lambda g: g)})
    line = next(ln for ln in capsys.readouterr().out.splitlines() if "own length" in ln)
    assert "unit length" in said(line) and "length N" not in said(line)


def test_a_hidden_check_that_raised_reads_as_one_sentence() -> None:
    """Found in a trial's feedback: "raised it raised an exception (for hidden checks ...)"."""
    from autograder.grading import _hide_student_text
    from ganbias_helpers.checks.calls import CallResult
    from ganbias_helpers.checks.core import describe_failure

    result = CallResult("error", error="Traceback ...\nValueError: the hidden input's value 0.731",
                        error_type="ValueError")
    _hide_student_text(result)
    said = describe_failure(result)
    assert said.startswith("raised an exception (for hidden checks")
    assert "0.731" not in said and "ValueError" not in said
