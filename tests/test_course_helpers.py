"""The helper modules added for the notebooks: course settings, shipped predictions, sources-of-bias toolkit."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from ganbias_helpers import bias_sources, fairness_data
from ganbias_helpers.course import FULL_IMAGES, FULL_STEPS, ExperimentSize, experiment_size
from ganbias_helpers.device import native_bfloat16


def test_experiment_size_is_the_full_size_on_cpu_too_and_says_so(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("GANBIAS_EXPERIMENT_SIZE", raising=False)
    size = experiment_size("cpu")
    assert (size.n_images, size.steps) == (FULL_IMAGES, FULL_STEPS) == (256, 30)
    note = capsys.readouterr().out
    assert "no GPU found" in note and "256 faces for 30 steps" in note
    assert ("bfloat16, which this CPU runs natively" in note) == native_bfloat16("cpu")
    gpu = experiment_size("cuda", verbose=True)  # only the device type matters here
    assert (gpu.n_images, gpu.steps) == (256, 30)
    assert capsys.readouterr().out == ""


def test_experiment_size_can_be_overridden_and_a_bad_override_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GANBIAS_EXPERIMENT_SIZE", "8,2")
    assert experiment_size("cpu", verbose=False) == ExperimentSize(8, 2)
    monkeypatch.setenv("GANBIAS_EXPERIMENT_SIZE", "eight")
    with pytest.raises(ValueError, match="GANBIAS_EXPERIMENT_SIZE should be 'IMAGES,STEPS'"):
        experiment_size("cpu")


def _write_predictions(path: Path, n: int = 200, seed: int = 0, **overrides: np.ndarray) -> Path:
    rng = np.random.default_rng(seed)
    arrays = {"labels": (rng.random((n, 40)) < 0.2).astype(np.uint8),
              "predictions": (rng.random((n, 40)) < 0.2).astype(np.uint8)}
    arrays.update(overrides)
    np.savez(path, **arrays)
    return path


def test_load_test_predictions_reads_a_valid_file(tmp_path: Path) -> None:
    labels, predictions = fairness_data.load_test_predictions(_write_predictions(tmp_path / "p.npz"))
    assert labels.shape == predictions.shape == (200, 40)
    assert labels.dtype == predictions.dtype == np.uint8


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"labels": np.zeros((5, 39), np.uint8)}, "expected"),
        ({"predictions": np.full((200, 40), 2, np.uint8)}, "only 0s and 1s"),
        ({"predictions": np.zeros((10, 40), np.uint8)}, "differ in shape"),
    ],
)
def test_load_test_predictions_rejects_bad_files(tmp_path: Path, overrides: dict, message: str) -> None:
    path = _write_predictions(tmp_path / "bad.npz", **overrides)
    with pytest.raises(fairness_data.PredictionsFileError, match=message):
        fairness_data.load_test_predictions(path)


def test_load_test_predictions_explains_missing_or_broken_files(tmp_path: Path) -> None:
    with pytest.raises(fairness_data.PredictionsFileError, match="not found"):
        fairness_data.load_test_predictions(tmp_path / "nothing.npz")
    np.savez(tmp_path / "keys.npz", other=np.zeros(3))
    with pytest.raises(fairness_data.PredictionsFileError, match="'labels' and 'predictions'"):
        fairness_data.load_test_predictions(tmp_path / "keys.npz")
    (tmp_path / "junk.npz").write_bytes(b"not a zip file")
    with pytest.raises(fairness_data.PredictionsFileError, match="not a readable"):
        fairness_data.load_test_predictions(tmp_path / "junk.npz")


def test_make_blobs_counts_types_and_seed() -> None:
    x, y = bias_sources.make_blobs([90, 10], seed=3)
    assert x.shape == (100, 2) and x.dtype == torch.float32 and y.dtype == torch.int64
    assert torch.bincount(y).tolist() == [90, 10]
    again, _ = bias_sources.make_blobs([90, 10], seed=3)
    assert torch.equal(x, again)


def _recall(y: torch.Tensor, pred: np.ndarray, c: int) -> float:
    return float((pred[y.numpy() == c] == c).mean())


def test_imbalance_makes_the_model_favour_the_majority() -> None:
    x_test, y_test = bias_sources.make_blobs([500, 500], seed=1)
    balanced = bias_sources.train_linear(*bias_sources.make_blobs([500, 500], seed=0), epochs=10)
    skewed = bias_sources.train_linear(*bias_sources.make_blobs([950, 50], seed=0), epochs=10)
    assert _recall(y_test, bias_sources.predict(skewed, x_test), 1) < _recall(
        y_test, bias_sources.predict(balanced, x_test), 1) - 0.3


def test_standardising_changes_what_the_model_leans_on() -> None:
    x, y = bias_sources.make_two_scale_data(1000, seed=0)
    raw = bias_sources.train_linear(x, y, epochs=10, lr=0.01)
    (xs,) = bias_sources.standardize(x)
    scaled = bias_sources.train_linear(xs, y, epochs=10, lr=0.01)
    raw_share, scaled_share = bias_sources.feature_reliance(raw, x), bias_sources.feature_reliance(scaled, xs)
    assert raw_share.sum() == pytest.approx(1.0) and scaled_share.sum() == pytest.approx(1.0)
    assert raw_share[0] > 0.9 and scaled_share[1] > 0.7
    assert xs.mean(0).abs().max() < 1e-4 and (xs.std(0) - 1).abs().max() < 1e-4


def test_class_weights_and_resampling_raise_rare_class_recall() -> None:
    x, y = bias_sources.make_blobs([950, 50], seed=0)
    x_test, y_test = bias_sources.make_blobs([500, 500], seed=1)
    weights = torch.tensor([1000 / (2 * 950), 1000 / (2 * 50)])
    plain = _recall(y_test, bias_sources.predict(bias_sources.train_linear(x, y, epochs=10), x_test), 1)
    weighted = _recall(y_test, bias_sources.predict(bias_sources.train_linear(x, y, epochs=10, class_weights=weights),
                                                     x_test), 1)
    resampled = _recall(y_test, bias_sources.predict(bias_sources.train_linear(x, y, epochs=10,
                                                                                sample_weights=weights[y]), x_test), 1)
    assert weighted > plain + 0.3 and resampled > plain + 0.3
    with pytest.raises(ValueError, match="optimizer"):
        bias_sources.train_linear(x, y, optimizer="lbfgs")


def test_rare_attribute_task_keeps_the_rare_share(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    rng = np.random.default_rng(0)
    labels = (rng.random((1000, 40)) < 0.3).astype(np.uint8)
    labels[:, 4] = 0
    labels[:40, 4] = 1  # "Bald": 4 %
    path = _write_predictions(tmp_path / "p.npz", labels=labels, predictions=labels)
    monkeypatch.setattr(fairness_data, "TEST_PREDICTIONS_FILE", path)
    task = bias_sources.rare_attribute_task("Bald", test_fraction=0.25, seed=0)
    assert task.target == "Bald" and len(task.feature_names) == 39 and "Bald" not in task.feature_names
    assert task.x_train.shape == (750, 39) and task.x_test.shape == (250, 39)
    assert int(task.y_train.sum()) == 30 and int(task.y_test.sum()) == 10
