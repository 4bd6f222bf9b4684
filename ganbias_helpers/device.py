"""Choose where the models run (the GPU when there is one, otherwise the CPU) and in which precision."""

from __future__ import annotations

import torch


def pick_device(device: torch.device | str | None = None) -> torch.device:
    """Return ``device`` as a ``torch.device``; with None, CUDA if available, else CPU.

    Raises:
        RuntimeError: If CUDA is asked for explicitly but is not available.
    """
    if device is None:
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    device = torch.device(device)
    if device.type == "cuda" and not torch.cuda.is_available():
        raise RuntimeError("device 'cuda' was requested but no CUDA GPU is available; use device='cpu'")
    return device


def on_gpu(device: torch.device | str) -> bool:
    """True when ``device`` is a CUDA device."""
    return torch.device(device).type == "cuda"


def native_bfloat16(device: torch.device | str) -> bool:
    """True when ``device`` is a CPU with bfloat16 instructions: AVX-512 BF16 or AMX.

    Elsewhere bfloat16 is emulated, slower than float32 (also on AVX-512 CPUs
    without BF16, where oneDNN still accepts bfloat16), so the course never uses
    it there. GPUs answer False too: the course keeps them in float32.
    """
    if torch.device(device).type != "cpu":
        return False
    checks = ("_is_avx512_bf16_supported", "_is_amx_tile_supported")  # torch.cpu's run-time CPU checks
    return any(bool(getattr(torch.cpu, name, lambda: False)()) for name in checks)


def compute_dtype(precision: str, device: torch.device | str) -> torch.dtype:
    """The dtype the networks' passes run in for ``precision`` ("auto", "float32" or "bfloat16") on ``device``.

    ``"auto"`` is bfloat16 on a CPU with native bfloat16 and float32 everywhere else (GPUs included).

    Raises:
        ValueError: For any other ``precision``.
    """
    if precision == "auto":
        return torch.bfloat16 if native_bfloat16(device) else torch.float32
    if precision in ("float32", "bfloat16"):
        return getattr(torch, precision)
    raise ValueError(f"precision should be 'auto', 'float32' or 'bfloat16', not {precision!r}")
