"""How strongly to hold an attribute: a trade-off curve for the mitigation notebook.

Notebook 6 holds an attribute fully: the held gradient is projected out of the
target's. :func:`hold_tradeoff` removes only a share ``s`` of that component
(``s = 0``: ordinary steering, ``s = 1``: full hold) and, for each share, walks
the same faces the same number of steps toward the target. It reports how far
the target moved, how far the held attribute moved, and how much the images
changed, so the three can be plotted against ``s``.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
import torch
from torch import nn

from .models import get_noise
from .reference import project_out


def partial_hold_direction(
    gen: nn.Module, classifier: nn.Module, noise: torch.Tensor, target_index: int, hold_index: int, strength: float
) -> torch.Tensor:
    """Unit direction per row: the target's gradient minus ``strength`` times its component along the held one's."""
    z = noise.detach().requires_grad_(True)
    with torch.enable_grad():
        logits = classifier(gen(z))
        g_t = torch.autograd.grad(logits[:, target_index].sum(), z, retain_graph=True)[0]
        g_h = torch.autograd.grad(logits[:, hold_index].sum(), z)[0]
    d = torch.lerp(g_t, project_out(g_t, g_h), strength)  # 0: the plain gradient, 1: the full hold
    return d / d.norm(dim=1, keepdim=True).clamp_min(1e-12)


@torch.no_grad()
def hold_tradeoff(
    gen: nn.Module,
    classifier: nn.Module,
    target_index: int,
    hold_index: int,
    strengths: Sequence[float] = (0.0, 0.25, 0.5, 0.75, 1.0),
    n_images: int = 16,
    steps: int = 10,
    step_size: float = 0.1,
    seed: int = 0,
) -> pd.DataFrame:
    """Walk the same faces toward the target with the held attribute held by each share in ``strengths``.

    Returns:
        One row per strength with the mean change of the target's logit, the mean change of the held
        attribute's logit, their ratio (held change per unit of target change), the mean absolute
        pixel change between the first and the last image (pixels in [-1, 1]), and that pixel change
        per unit of target change (how much the picture changes for each logit unit the target moves).
    """
    device = next(gen.parameters()).device
    start = get_noise(n_images, gen.z_dim, device, seed=seed)
    start_images = gen(start)
    start_logits = classifier(start_images)
    rows = []
    for s in strengths:
        z = start
        for _ in range(steps):
            z = z + step_size * partial_hold_direction(gen, classifier, z, target_index, hold_index, s)
        images = gen(z)
        change = classifier(images) - start_logits
        target_change = change[:, target_index].mean().item()
        held_change = change[:, hold_index].mean().item()
        rows.append({"hold strength": s, "target change": target_change, "held change": held_change,
                     "held per unit of target": held_change / target_change if target_change else float("nan"),
                     "image change": (image_change := (images - start_images).abs().mean().item()),
                     "image change per unit of target": image_change / abs(target_change) if target_change
                     else float("nan")})
    return pd.DataFrame(rows).set_index("hold strength")
