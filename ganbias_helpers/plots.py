"""Figures used by the notebooks and the demo. Each function returns a matplotlib Figure."""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib.figure import Figure

from .attributes import ATTRIBUTE_NAMES, attribute_index


def image_grid(images: torch.Tensor, nrow: int = 8) -> np.ndarray:
    """Tile images in [-1, 1] of shape ``(n, 3, h, w)`` into one ``(H, W, 3)`` array in [0, 1]."""
    from torchvision.utils import make_grid

    grid = make_grid(((images.detach().float().cpu() + 1) / 2).clamp(0, 1), nrow=nrow, padding=2, pad_value=1.0)
    return grid.permute(1, 2, 0).numpy()


def show_images(images: torch.Tensor, num_images: int = 16, nrow: int = 4, title: str | None = None) -> Figure:
    """Show the first ``num_images`` images in a grid of ``nrow`` columns."""
    images = images[:num_images]
    rows = int(np.ceil(len(images) / nrow))
    fig, ax = plt.subplots(figsize=(1.6 * nrow, 1.6 * rows))
    ax.imshow(image_grid(images, nrow))
    ax.axis("off")
    if title:
        ax.set_title(title)
    fig.tight_layout()
    return fig


def plot_steering_path(snapshots: torch.Tensor, steps: Sequence[int], target: str | int) -> Figure:
    """Images along the steering path: one row per sample, columns from "less" to "more" of ``target``.

    Args:
        snapshots: ``(k, n_show, 3, 64, 64)`` images, as in ``SteeringResult.snapshots``.
        steps: The signed step of each snapshot.
        target: The steered attribute.
    """
    order = sorted(range(len(steps)), key=lambda k: steps[k])
    # Step 0 is recorded once per direction; show it once.
    seen: set[int] = set()
    order = [k for k in order if not (steps[k] in seen or seen.add(steps[k]))]
    columns = snapshots[order].transpose(0, 1)  # (n_show, k, ...)
    n_show, k = columns.shape[:2]
    fig, ax = plt.subplots(figsize=(1.1 * k, 1.15 * n_show + 0.6))
    ax.imshow(image_grid(columns.reshape(-1, *columns.shape[2:]), nrow=k))
    ax.set_xticks([(i + 0.5) * (columns.shape[-1] + 2) for i in range(k)])
    ax.set_xticklabels([f"{steps[i]:+d}" for i in order], fontsize=8)
    ax.set_yticks([])
    ax.set_xlabel(f"steering step (negative: less {ATTRIBUTE_NAMES[attribute_index(target)]}, positive: more)")
    fig.tight_layout()
    return fig


def plot_feature_changes(changes: np.ndarray, target: str | int, others: Sequence[str | int]) -> Figure:
    """Regression of other attributes' logit changes on the target's, binned by step (seaborn 0.12+ API)."""
    import seaborn as sns

    t = attribute_index(target)
    x = changes[:, :, t].reshape(-1)
    with sns.axes_style("darkgrid"):
        fig, ax = plt.subplots(figsize=(7, 4.5))
        for other in others:
            o = attribute_index(other)
            sns.regplot(
                x=x,
                y=changes[:, :, o].reshape(-1),
                x_bins=len(changes),
                fit_reg=True,
                truncate=True,
                ci=99,
                x_ci=99,
                label=ATTRIBUTE_NAMES[o],
                ax=ax,
                scatter_kws={"s": 12},
            )
        ax.set_xlabel(f"change in {ATTRIBUTE_NAMES[t]} logit")
        ax.set_ylabel("change in other attribute's logit")
        ax.set_title(f"Generator biases: features vs {ATTRIBUTE_NAMES[t]}-ness")
        ax.legend(loc="best", fontsize=8)
        fig.tight_layout()
    return fig


def plot_top_covariances(indices: Sequence[int], covariances: Sequence[float], target: str | int) -> Figure:
    """Horizontal bar chart of the attributes that covary most with ``target`` (signed)."""
    names = [ATTRIBUTE_NAMES[int(i)] for i in indices]
    values = np.asarray(covariances, dtype=float)
    fig, ax = plt.subplots(figsize=(6.5, 0.35 * len(names) + 1.2))
    # The same colours as the coolwarm heatmap: positive red, negative blue.
    colors = ["tab:red" if v > 0 else "tab:blue" for v in values]
    ax.barh(range(len(names))[::-1], values, color=colors)
    ax.set_yticks(range(len(names))[::-1])
    ax.set_yticklabels(names)
    ax.axvline(0, color="black", linewidth=0.8)
    ax.set_xlabel(f"covariance with the change in {ATTRIBUTE_NAMES[attribute_index(target)]}")
    ax.set_title("Attributes that move with the target")
    fig.tight_layout()
    return fig


def plot_covariance_heatmap(cov: np.ndarray, indices: Sequence[int] | None = None) -> Figure:
    """Heatmap of a feature covariance matrix (optionally restricted to ``indices``)."""
    import seaborn as sns

    idx = list(range(len(cov))) if indices is None else [int(i) for i in indices]
    sub = cov[np.ix_(idx, idx)]
    size = max(5.0, 0.28 * len(idx) + 2)
    fig, ax = plt.subplots(figsize=(size, size * 0.85))
    lim = float(np.abs(sub).max()) or 1.0
    sns.heatmap(
        sub,
        ax=ax,
        cmap="coolwarm",
        vmin=-lim,
        vmax=lim,
        square=True,
        xticklabels=[ATTRIBUTE_NAMES[i] for i in idx],
        yticklabels=[ATTRIBUTE_NAMES[i] for i in idx],
        cbar_kws={"label": "covariance of logit changes"},
    )
    ax.tick_params(labelsize=7)
    fig.tight_layout()
    return fig


def plot_attribute_probabilities(logits: torch.Tensor, images: torch.Tensor | None = None) -> Figure:
    """Heatmap of the classifier's 40 attribute probabilities for a few images (one row each)."""
    import seaborn as sns

    probs = torch.sigmoid(logits.detach().float().cpu()).numpy()
    n = len(probs)
    fig, axes = plt.subplots(
        1,
        2 if images is not None else 1,
        figsize=(14, 1.0 * n + 2.5),  # about one inch a row, so each face sits beside its row
        gridspec_kw={"width_ratios": [1, 12]} if images is not None else None,
    )
    ax = axes[-1] if images is not None else axes
    if images is not None:
        axes[0].imshow(image_grid(images[:n], nrow=1))
        axes[0].axis("off")
    sns.heatmap(
        probs,
        ax=ax,
        vmin=0,
        vmax=1,
        cmap="viridis",
        xticklabels=ATTRIBUTE_NAMES,
        yticklabels=[f"image {i}" for i in range(n)],
        cbar_kws={"label": "P(attribute)", "pad": 0.07},
    )
    ax.tick_params(axis="x", labelsize=7, rotation=90)
    ax.yaxis.tick_right()  # row labels on the right, clear of the faces on the left
    ax.tick_params(axis="y", rotation=0)
    fig.tight_layout()
    return fig
