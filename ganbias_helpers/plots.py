"""Figures used by the notebooks and the demo. Each plotting function returns a matplotlib Figure.

Accessibility (WCAG 2.1 AA): no figure tells things apart by colour alone. Series get a colour from the
Okabe-Ito palette (distinguishable with the common colour-vision deficiencies) *and* a marker, a line
style or a hatch, and are labelled directly where that is clearer than a legend; signed heatmaps print
their values. :func:`show_figure` shows a figure in a notebook together with a text description that
reaches every reader: as the image's ``alt`` text (JupyterLab, Colab and nbconvert's HTML) and as the
plain-text form of the output.
"""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib.figure import Figure

from .attributes import ATTRIBUTE_NAMES, attribute_index

#: The Okabe-Ito colour-blind-safe palette (black left out: it is kept for axes and reference lines).
OKABE_ITO = ("#E69F00", "#56B4E9", "#009E73", "#0072B2", "#D55E00", "#CC79A7", "#F0E442")
#: Markers, line styles and hatches that go with the palette, so that colour is never the only cue.
MARKERS = ("o", "s", "^", "D", "v", "P", "X")
LINE_STYLES = ("-", "--", "-.", ":", (0, (5, 1)), (0, (3, 1, 1, 1, 1, 1)), (0, (1, 1)))
HATCHES = ("", "//", "..", "xx", "\\\\", "++", "oo")


def figure_bundle(fig: Figure, description: str, dpi: int = 100) -> tuple[dict, dict]:
    """A figure as a Jupyter output bundle ``(data, metadata)`` that carries its text description.

    ``data`` holds three forms of one picture: an HTML ``<img>`` whose ``alt`` text is the description
    (what JupyterLab, Colab and nbconvert's HTML show, and what a screen reader reads), the PNG itself,
    and a plain-text form that starts with "Figure:" and gives the description (for text-only front
    ends). The figure is closed afterwards.
    """
    import base64
    import html
    import io

    if not isinstance(description, str) or not description.strip():
        raise ValueError("every figure needs a text description: pass a sentence that says what it shows")
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi, bbox_inches="tight")
    plt.close(fig)
    png = base64.b64encode(buffer.getvalue()).decode("ascii")
    text = " ".join(description.split())
    data = {
        "text/html": f'<img src="data:image/png;base64,{png}" alt="{html.escape(text, quote=True)}">',
        "image/png": png,
        "text/plain": f"Figure: {text}",
    }
    return data, {"image/png": {"alt": text}}


def show_figure(fig: Figure, description: str, dpi: int = 100) -> None:
    """Show a figure in the notebook with a text description that every reader gets (see :func:`figure_bundle`).

    The figure is closed afterwards, so it is not drawn a second time.

    Args:
        fig: The figure.
        description: What the figure shows, in a sentence or a few: the kind of chart, its axes and
            what a reader should see in it (numbers included where they matter).
        dpi: Resolution of the PNG.
    """
    from IPython.display import display

    data, metadata = figure_bundle(fig, description, dpi)
    display(data, raw=True, metadata=metadata)


def describe_values(labels: Sequence[str], values: Sequence[float], digits: int = 2) -> str:
    """``"a 0.12, b -0.50"``: labelled values as text, for a figure's description."""
    return ", ".join(f"{label} {value:.{digits}f}" for label, value in zip(labels, values))


def plot_grouped_bars(table, ylabel: str, title: str, ylim: tuple[float, float] | None = (0, 1.05),
                      flagged=None, flag_label: str = "", figsize: tuple[float, float] = (7.5, 3.6),
                      low=None, high=None) -> Figure:
    """Grouped vertical bars, one group per row of ``table`` (a DataFrame) and one bar per column.

    Each column gets a colour *and* a hatch; the legend sits outside the axes, so it never hides a bar;
    every bar carries its value. ``flagged`` (a boolean table of the same shape) draws those bars hollow,
    marked with an asterisk, explained by ``flag_label`` in the legend. ``low`` and ``high`` (tables of
    the same shape) add an interval to each bar.
    """
    from matplotlib.patches import Patch

    rows, columns = list(table.index), list(table.columns)
    width = 0.8 / len(columns)
    fig, ax = plt.subplots(figsize=figsize)
    x = np.arange(len(rows))
    for j, column in enumerate(columns):
        colour, hatch = OKABE_ITO[j % len(OKABE_ITO)], HATCHES[j % len(HATCHES)]
        for i, row in enumerate(rows):
            value = float(table.loc[row, column])
            hollow = bool(flagged is not None and flagged.loc[row, column])
            centre = x[i] - 0.4 + (j + 0.5) * width
            ax.bar(centre, value, width, color="white" if hollow else colour,
                   edgecolor=colour if hollow else "black", linewidth=1.2 if hollow else 0.5, hatch=hatch)
            top = value
            if low is not None and high is not None:
                lo, hi = float(low.loc[row, column]), float(high.loc[row, column])
                ax.errorbar(centre, value, yerr=[[value - lo], [hi - value]], color="black", capsize=2, linewidth=0.8)
                top = hi
            label = f"{value:.2f}" + ("*" if hollow else "")
            ax.annotate(label, (centre, max(top, 0)), xytext=(0, 2),
                        textcoords="offset points", ha="center", va="bottom", fontsize=7, rotation=90)
    ax.set_xticks(x)
    crowded = len(rows) > 4
    ax.set_xticklabels([str(r) for r in rows], rotation=20 if crowded else 0, ha="right" if crowded else "center")
    ax.set_ylabel(ylabel)
    ax.set_title(title, fontsize=10)
    if ylim is not None:
        top = max(ylim[1], float(np.nanmax(table.to_numpy(dtype=float))) * 1.25)
        ax.set_ylim(ylim[0], top)
    handles = [Patch(facecolor=OKABE_ITO[j % len(OKABE_ITO)], edgecolor="black", hatch=HATCHES[j % len(HATCHES)],
                     label=str(c)) for j, c in enumerate(columns)]
    if flagged is not None and np.asarray(flagged).any():
        handles.append(Patch(facecolor="white", edgecolor="grey", label=flag_label or "* flagged"))
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8, frameon=False)
    ax.grid(axis="y", alpha=0.3)
    fig.tight_layout()
    return fig


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
    """Regression of other attributes' logit changes on the target's, binned by step (seaborn 0.12+ API).

    Each attribute has its own colour (Okabe-Ito), marker and line style, and its name is written at the
    right end of its line, so the lines can be told apart without colour.
    """
    import seaborn as sns

    t = attribute_index(target)
    x = changes[:, :, t].reshape(-1)
    with sns.axes_style("darkgrid"):
        fig, ax = plt.subplots(figsize=(8, 4.8))
        ends = []
        for k, other in enumerate(others):
            o = attribute_index(other)
            y = changes[:, :, o].reshape(-1)
            colour = OKABE_ITO[k % len(OKABE_ITO)]
            sns.regplot(
                x=x,
                y=y,
                x_bins=len(changes),
                fit_reg=True,
                truncate=True,
                ci=99,
                x_ci=99,
                seed=0,  # the intervals are bootstrapped: the same figure every run
                label=ATTRIBUTE_NAMES[o],
                ax=ax,
                color=colour,
                marker=MARKERS[k % len(MARKERS)],
                scatter_kws={"s": 14},
                line_kws={"linestyle": LINE_STYLES[k % len(LINE_STYLES)], "linewidth": 1.6},
            )
            if np.ptp(x) > 0:
                slope, intercept = np.polyfit(x, y, 1)
                ends.append([slope * x.max() + intercept, ATTRIBUTE_NAMES[o], colour])
            else:  # no change in the target (a one-step run): no line to fit, label at the points' mean
                ends.append([float(y.mean()), ATTRIBUTE_NAMES[o], colour])
        # Direct labels at the right end of each line, nudged apart where they would overlap.
        ends.sort(key=lambda e: e[0])
        span = (max(e[0] for e in ends) - min(e[0] for e in ends)) or 1.0
        for k in range(1, len(ends)):
            ends[k][0] = max(ends[k][0], ends[k - 1][0] + 0.06 * span)
        for y_end, name, _colour in ends:
            ax.annotate(name, (x.max(), y_end), xytext=(6, 0), textcoords="offset points", va="center",
                        fontsize=8, color="black")
        ax.set_xlim(x.min(), x.max() + 0.25 * (x.max() - x.min() or 1.0))
        ax.set_xlabel(f"change in {ATTRIBUTE_NAMES[t]} logit")
        ax.set_ylabel("change in other attribute's logit")
        ax.set_title(f"Other attributes against the change in {ATTRIBUTE_NAMES[t]} (99% intervals)")
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8, frameon=False)
        fig.tight_layout()
    return fig


def describe_feature_changes(changes: np.ndarray, target: str | int, others: Sequence[str | int]) -> str:
    """A text description of :func:`plot_feature_changes`: each attribute's fitted slope, steepest first."""
    t = attribute_index(target)
    x = changes[:, :, t].reshape(-1)
    slopes = {ATTRIBUTE_NAMES[attribute_index(o)]:
              float(np.polyfit(x, changes[:, :, attribute_index(o)].reshape(-1), 1)[0]) for o in others}
    order = sorted(slopes, key=lambda name: -abs(slopes[name]))
    return (f"Scatter plot with fitted lines: the change in each of {len(slopes)} attributes' logits (y) against the "
            f"change in the {ATTRIBUTE_NAMES[t]} logit (x), binned means with 99% intervals. Fitted slopes, steepest "
            f"first: {describe_values(order, [slopes[n] for n in order])}.")


def plot_top_covariances(indices: Sequence[int], covariances: Sequence[float], target: str | int) -> Figure:
    """Horizontal bar chart of the attributes that covary most with ``target`` (signed)."""
    names = [ATTRIBUTE_NAMES[int(i)] for i in indices]
    values = np.asarray(covariances, dtype=float)
    fig, ax = plt.subplots(figsize=(6.5, 0.35 * len(names) + 1.2))
    # Colour-blind-safe colours, and the sign is also in the hatch (negative: hatched) and the printed value.
    colors = [OKABE_ITO[4] if v > 0 else OKABE_ITO[3] for v in values]
    bars = ax.barh(range(len(names))[::-1], values, color=colors, edgecolor="black", linewidth=0.5,
                   hatch=["" if v > 0 else "//" for v in values])
    ax.bar_label(bars, labels=[f"{v:+.2f}" for v in values], padding=3, fontsize=8)
    ax.margins(x=0.18)
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
        # The values, with their signs, so the picture reads without colour; short enough for their cells.
        annot=np.vectorize(lambda v: f"{v:+.0f}" if abs(v) >= 10 else f"{v:+.1f}")(sub) if len(idx) <= 15 else False,
        fmt="",
        annot_kws={"fontsize": 7},
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
        cbar_kws={"label": "score \u03c3(logit), not a calibrated probability", "pad": 0.07},
    )
    ax.tick_params(axis="x", labelsize=7, rotation=90)
    ax.yaxis.tick_right()  # row labels on the right, clear of the faces on the left
    ax.tick_params(axis="y", rotation=0)
    fig.tight_layout()
    return fig
