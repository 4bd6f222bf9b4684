"""Steer the generator's noise toward (or away from) an attribute and record the classifier's view.

This is the original course's experiment with its loop's defects fixed:

* the gradient is taken with :func:`torch.autograd.grad` with respect to the
  noise alone, so nothing accumulates from one step to the next and no weight
  gradient is ever computed;
* the models' weights are frozen while steering (and restored afterwards);
* the history holds detached CPU tensors only, never an autograd graph, so
  memory stays flat however many steps are taken;
* on a CPU with bfloat16 instructions the networks run in bfloat16 (``precision="auto"``);
  the noise, the steps and the recorded logits stay float32. GPUs stay float32.
"""

from __future__ import annotations

import contextlib
import copy
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import nn

from .attributes import attribute_index
from .device import compute_dtype as steering_dtype  # re-exported: steer's precision choice
from .device import pick_device
from .models import get_noise
from .reference import covariance_matrix, project_out, steering_direction, steering_step, top_covariances

__all__ = [
    "DEFAULT_STEP_SIZE", "SteeringResult", "covariance_matrix", "frozen", "fused_copy", "project_out", "steer",
    "steering_direction", "steering_dtype", "steering_step", "top_covariances",
]

#: Length of one steering step in noise space (the gradient is normalised per image).
DEFAULT_STEP_SIZE = 0.1
#: Noise vectors steered at a time on a CPU: small enough for the activations to stay in cache
#: (about 1.7x faster per step than the whole batch of 256 on 2 cores; see benchmarks/).
CPU_CHUNK_SIZE = 64


@contextlib.contextmanager
def frozen(*models: nn.Module) -> Iterator[None]:
    """Within the block, put ``models`` in eval mode with ``requires_grad=False``; restore both after."""
    saved = [(m, m.training, [p.requires_grad for p in m.parameters()]) for m in models]
    try:
        for m in models:
            m.eval()
            m.requires_grad_(False)
        yield
    finally:
        for m, training, flags in saved:
            m.train(training)
            for p, flag in zip(m.parameters(), flags):
                p.requires_grad_(flag)


def fused_copy(model: nn.Module, channels_last: bool = False) -> nn.Module:
    """An eval-mode, frozen copy of ``model`` with each batch norm folded into the convolution before it.

    In eval mode a batch norm is a fixed affine map, so folding it changes no
    output (beyond float rounding) and makes each steering step about a third
    cheaper on a CPU. With ``channels_last``, the copy's weights are also stored
    in the channels-last layout, which CPU convolution kernels run faster.
    """
    from torch.nn.utils.fusion import fuse_conv_bn_eval

    model = copy.deepcopy(model).eval()
    for block in model.modules():
        if isinstance(block, nn.Sequential) and len(block) >= 2 and isinstance(block[1], nn.BatchNorm2d):
            conv = block[0]
            block[0] = fuse_conv_bn_eval(conv, block[1], transpose=isinstance(conv, nn.ConvTranspose2d))
            block[1] = nn.Identity()
    if channels_last:
        model = model.to(memory_format=torch.channels_last)
    return model.requires_grad_(False)


@dataclass
class SteeringResult:
    """What a steering run records.

    Attributes:
        classifications: Logits along the path, ``(2 * steps, n_images, 40)``: the
            additive steps first, then the subtractive ones (the original course's layout).
        start: Logits of the starting images, ``(n_images, 40)``.
        snapshots: Images of the first few samples at some steps, ``(k, n_show, 3, 64, 64)``.
        snapshot_steps: The signed step of each snapshot (negative: subtractive direction).
        target_index: The attribute that was steered.
        hold_indices: Attributes held fixed, if any.
    """

    classifications: torch.Tensor
    start: torch.Tensor
    snapshots: torch.Tensor
    snapshot_steps: list[int]
    target_index: int
    hold_indices: list[int] = field(default_factory=list)

    def changes(self) -> np.ndarray:
        """Change of every logit from its starting value, ``(2 * steps, n_images, 40)``, as numpy."""
        return (self.classifications - self.start[None]).numpy()


def steer(
    gen: nn.Module,
    classifier: nn.Module,
    target: str | int = "Male",
    n_images: int = 256,
    steps: int = 30,
    step_size: float = DEFAULT_STEP_SIZE,
    seed: int | None = 0,
    noise: torch.Tensor | None = None,
    hold: Sequence[str | int] = (),
    n_show: int = 8,
    snapshot_every: int = 5,
    progress: bool = False,
    fuse: bool = True,
    chunk_size: int | None = None,
    precision: str = "auto",
) -> SteeringResult:
    """Steer ``n_images`` noise vectors toward and then away from ``target``, ``steps`` each way.

    Args:
        gen: The generator (left as it was afterwards).
        classifier: The classifier (left as it was afterwards).
        target: Attribute name or index to steer.
        n_images: Number of noise vectors (ignored if ``noise`` is given).
        steps: Steps in each direction.
        step_size: Length of each step in noise space.
        seed: Seed for the starting noise (reproducible on the same device).
        noise: Starting noise to use instead of drawing it.
        hold: Attributes to hold fixed while steering (see :func:`steering_direction`).
        n_show: How many samples to keep images of.
        snapshot_every: Keep images every this many steps.
        progress: Show a progress bar.
        fuse: Steer with copies whose batch norms are folded into their convolutions
            (same results up to float rounding, faster; on a CPU also in the channels-last
            layout); False uses the models as given.
        chunk_size: Work on this many noise vectors at a time. Each vector is steered on
            its own, so this changes no result, only speed and memory; the default is
            ``CPU_CHUNK_SIZE`` on a CPU (cache-friendly) and the whole batch on a GPU.
        precision: ``"float32"``, ``"bfloat16"`` (the networks' passes under bfloat16
            autocast; the noise, each step and the recorded logits stay float32), or
            ``"auto"``: bfloat16 on a CPU that runs it natively (:func:`native_bfloat16`),
            float32 everywhere else, GPUs included. ``benchmarks/steering_benchmark.py``
            checks that, for Male, bfloat16 keeps the same top ten, each within one rank
            and each covariance within 2% of float32's. For bit-stable results across
            CPUs, use ``"float32"``.

    Returns:
        A :class:`SteeringResult`.
    """
    from tqdm.auto import tqdm

    device = next(gen.parameters()).device
    if steps < 1:
        raise ValueError(f"steps should be at least 1, not {steps}")
    target_index = attribute_index(target)
    hold_indices = [attribute_index(h) for h in hold]
    if target_index in hold_indices:
        raise ValueError("the target attribute cannot also be held fixed")
    if noise is None:
        noise = get_noise(n_images, gen.z_dim, device, seed=seed)
    noise = noise.to(pick_device(device))
    history: list[torch.Tensor] = []
    snapshots: list[torch.Tensor] = []
    snapshot_steps: list[int] = []
    on_cpu = noise.device.type == "cpu"
    bfloat16 = steering_dtype(precision, noise.device) == torch.bfloat16
    if fuse:
        gen, classifier = fused_copy(gen, channels_last=on_cpu), fused_copy(classifier, channels_last=on_cpu)
    chunk = chunk_size or (CPU_CHUNK_SIZE if on_cpu else len(noise))

    def look(z: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        with torch.autocast(noise.device.type, torch.bfloat16, enabled=bfloat16):
            parts = [steering_direction(gen, classifier, zc, target_index, hold_indices) for zc in z.split(chunk)]
        d, logits = torch.cat([p[0] for p in parts]).float(), torch.cat([p[1] for p in parts]).float()
        images = torch.cat([p[2] for p in parts[: -(-n_show // chunk)]]).float()  # enough for the snapshots
        return d, logits, images

    with frozen(gen, classifier), tqdm(total=2 * steps, desc="steering", disable=not progress) as bar:
        first = None  # both directions start from the same noise: look at it once
        for direction in (1, -1):
            z = noise
            for i in range(steps):
                d, logits, images = first if i == 0 and first is not None else look(z)
                if first is None:
                    first = d, logits, images
                    start = logits.cpu()
                history.append(logits.cpu())
                if i % snapshot_every == 0 or i == steps - 1:
                    snapshots.append(images[:n_show].to("cpu", copy=True))  # a copy: a view would keep the batch
                    snapshot_steps.append(direction * i)
                z = z + direction * step_size * d
                bar.update(1)
    return SteeringResult(
        torch.stack(history), start, torch.stack(snapshots), snapshot_steps, target_index, hold_indices
    )
