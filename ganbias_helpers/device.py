"""Choose where the models run: the GPU when there is one, otherwise the CPU."""

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
