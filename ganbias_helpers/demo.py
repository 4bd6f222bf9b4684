"""``ganbias demo``: steer the shipped generator toward an attribute and report what else changes."""

from __future__ import annotations

import json
import time
from pathlib import Path

import matplotlib

from .attributes import ATTRIBUTE_NAMES, attribute_index
from .course import FULL_IMAGES, FULL_STEPS
from .device import pick_device
from .steering import DEFAULT_STEP_SIZE, covariance_matrix, steer, top_covariances
from .weights import load_pretrained


def run_demo(
    target: str = "Male",
    n_images: int = FULL_IMAGES,
    steps: int = FULL_STEPS,
    step_size: float = DEFAULT_STEP_SIZE,
    seed: int = 0,
    device: str | None = None,
    out_dir: str = "ganbias-demo",
    top_n: int = 10,
    generator_path: str | None = None,
    classifier_path: str | None = None,
    progress: bool = True,
    figures: bool = True,
) -> dict:
    """Run the steering experiment, print the top covarying attributes and save figures.

    ``figures=False`` saves only ``results.json`` (the table is the same: scripts/readme_demo_table.py checks it so).
    Returns the JSON-able summary that is also written to ``out_dir/results.json``.
    """
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from . import plots

    started = time.time()
    dev = pick_device(device)
    t = attribute_index(target)
    gen, classifier = load_pretrained(dev, generator_path, classifier_path)
    print(
        f"Steering {n_images} faces toward and away from {ATTRIBUTE_NAMES[t]}, {steps} steps each way, "
        f"on {dev} (seed {seed})."
    )
    result = steer(
        gen, classifier, t, n_images=n_images, steps=steps, step_size=step_size, seed=seed, progress=progress
    )
    changes = result.changes()
    indices, covs = top_covariances(changes, t, top_n)

    print(f"\nTop {top_n} attributes that covary with {ATTRIBUTE_NAMES[t]}:")
    print(f"  {'#':>2}  {'index':>5}  {'attribute':<22} covariance")
    for rank, (i, c) in enumerate(zip(indices, covs), start=1):
        print(f"  {rank:>2}  {int(i):>5}  {ATTRIBUTE_NAMES[int(i)]:<22} {c:+.3f}")

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    drawn = {
        "steering_path.png": lambda: plots.plot_steering_path(result.snapshots, result.snapshot_steps, t),
        "feature_changes.png": lambda: plots.plot_feature_changes(changes, t, [int(i) for i in indices[:5]]),
        "top_covariances.png": lambda: plots.plot_top_covariances(indices, covs, t),
        "covariance_heatmap.png": lambda: plots.plot_covariance_heatmap(covariance_matrix(changes), [t, *indices]),
    } if figures else {}
    for name, draw in drawn.items():
        fig = draw()
        fig.savefig(out / name, dpi=110)
        plt.close(fig)
    target_change = changes[result.classifications.shape[0] // 2 - 1, :, t].mean()
    summary = {
        "target": ATTRIBUTE_NAMES[t],
        "target_index": t,
        "n_images": n_images,
        "steps": steps,
        "step_size": step_size,
        "seed": seed,
        "device": str(dev),
        "mean_target_logit_change_after_additive_steps": float(target_change),
        "top": [
            {
                "index": int(i),
                "attribute": ATTRIBUTE_NAMES[int(i)],
                "covariance": float(c),
            }
            for i, c in zip(indices, covs)
        ],
        "figures": sorted(drawn),
        "seconds": round(time.time() - started, 1),
    }
    (out / "results.json").write_text(json.dumps(summary, indent=2) + "\n")
    print(f"\n{'Figures and results.json' if drawn else 'results.json'} saved in {out.resolve()} "
          f"({summary['seconds']} s).")
    return summary
