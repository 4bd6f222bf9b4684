"""ganbias_helpers.mitigation: partial holding, from ordinary steering (0) to a full hold (1)."""

from __future__ import annotations

import numpy as np
import torch

from ganbias_helpers import Z_DIM, get_noise
from ganbias_helpers.mitigation import hold_tradeoff, partial_hold_direction
from ganbias_helpers.reference import project_out


def test_strength_one_is_the_full_projection_and_zero_the_plain_gradient(tiny_models) -> None:
    gen, classifier = tiny_models
    z = get_noise(4, Z_DIM, seed=0).requires_grad_(True)
    logits = classifier(gen(z))
    g_t = torch.autograd.grad(logits[:, 20].sum(), z, retain_graph=True)[0]
    g_h = torch.autograd.grad(logits[:, 36].sum(), z)[0]
    full = project_out(g_t, g_h)
    d1 = partial_hold_direction(gen, classifier, z.detach(), 20, 36, 1.0)
    d0 = partial_hold_direction(gen, classifier, z.detach(), 20, 36, 0.0)
    assert torch.allclose(d1, full / full.norm(dim=1, keepdim=True), atol=1e-5)
    assert torch.allclose(d0, g_t / g_t.norm(dim=1, keepdim=True), atol=1e-5)
    assert torch.allclose(d1.norm(dim=1), torch.ones(4), atol=1e-5)


def test_hold_tradeoff_has_one_row_per_strength_and_leaves_the_models_alone(tiny_models) -> None:
    gen, classifier = tiny_models
    before = [p.clone() for p in gen.parameters()]
    table = hold_tradeoff(gen, classifier, 20, 36, strengths=(0.0, 1.0), n_images=4, steps=2)
    assert list(table.index) == [0.0, 1.0]
    assert set(table.columns) == {"target change", "held change", "held per unit of target", "image change",
                                  "image change per unit of target"}
    assert (table["image change"] > 0).all()
    assert np.allclose(table["image change per unit of target"], table["image change"] / table["target change"].abs())
    assert all(torch.equal(a, b) for a, b in zip(before, gen.parameters()))
    assert all(p.grad is None for p in gen.parameters())
