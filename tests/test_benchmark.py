"""The steering benchmark runs end to end, and its lower-precision agreement check can fail."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest
import torch

SCRIPT = Path(__file__).resolve().parents[1] / "benchmarks" / "steering_benchmark.py"


def _benchmark():
    spec = importlib.util.spec_from_file_location("steering_benchmark", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _run(attribute_scale: torch.Tensor, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """A fake steering history whose changes covary with the target (index 20) by ``attribute_scale``."""
    g = torch.Generator().manual_seed(seed)
    drive = torch.randn(60, 128, 1, generator=g)
    noise = 0.1 * torch.randn(60, 128, 40, generator=g)
    return drive * attribute_scale + noise, torch.zeros(128, 40)


def test_agreement_passes_on_the_same_result_and_fails_on_a_changed_one():
    agreement = _benchmark().agreement
    scale = torch.linspace(-1, 1, 40)
    scale[20] = 1.0
    history, start = _run(scale)
    same = agreement(history, history.clone(), start, start, target_index=20)
    assert same == {"same_top_ten": True, "max_rank_shift": 0, "max_covariance_change": 0.0, "changes": [0.0] * 10,
                    "passed": True}

    moved = scale.clone()
    moved[0] *= 0.9  # the largest covariance shrinks by 10%: same ranks, too big a change
    changed = agreement(*(_run(moved)[0], history), start, start, target_index=20)
    assert changed["same_top_ten"] and not changed["passed"]
    assert 0.05 < changed["max_covariance_change"] < 0.15


@pytest.mark.slow
def test_the_benchmark_prints_the_ratio_and_the_bfloat16_check():
    out = subprocess.run(
        [sys.executable, str(SCRIPT), "--images", "4", "--steps", "2", "--memory-steps", "--check-bfloat16"],
        capture_output=True, text=True, timeout=600, check=True,
    ).stdout
    assert "speed-up (reference / ours):" in out
    assert "ours-float32" in out  # beside steer's bfloat16 run (forced here, or its default on a native CPU)
    assert "bfloat16 vs float32, same noise: same top ten" in out and ("PASS" in out or "FAIL" in out)
