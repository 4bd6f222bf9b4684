"""Write ganbias_helpers/weights/MODEL_CARD.md from the measured reports (no number is typed by hand).

Usage (scripts/finalize_weights.sh runs it)::

    python scripts/write_model_card.py METRICS FIRST_CLASSIFIER_REPORT CLASSIFIER_REPORT GENERATOR_REPORT
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from ganbias_helpers.attributes import ATTRIBUTE_NAMES
from ganbias_helpers.weights import CLASSIFIER_FILE, GENERATOR_FILE, WEIGHTS_DIR, shipped_checksums

TEMPLATE = Path(__file__).with_name("model_card_template.md")


def main(metrics_path: str, first_report: str, classifier_report: str, generator_report: str) -> None:
    """Fill the template with the evaluation metrics and the training reports, and write the card."""
    m = json.loads(Path(metrics_path).read_text())
    first = json.loads(Path(first_report).read_text())
    c = json.loads(Path(classifier_report).read_text())
    g = json.loads(Path(generator_report).read_text())
    clf, gen = m["classifier"], m["generator"]
    rows = []
    for i, name in enumerate(ATTRIBUTE_NAMES):
        rows.append(
            f"| {i} | {name} | {clf['accuracy'][i]:.3f} | {clf['balanced_accuracy'][i]:.3f} | "
            f"{gen['predicted_rate_real'][i]:.3f} | {gen['predicted_rate_generated'][i]:.3f} |"
        )
    skews = []
    for split, key in (("train", "data_skews_train_labels"), ("test", "data_skews_test_labels")):
        s = m[key]
        for attr, r in s["by_group"].items():
            skews.append(f"| {split} | {attr} | {r['overall']:.3f} | {r['Male']:.3f} | {r['not_Male']:.3f} |")
    values = {
        "n_train": c["n_train"],
        "n_val": c["n_val"],
        "n_test": m["test_images"],
        "clf_epochs": first["config"]["epochs"],
        "clf_batch": first["config"]["batch_size"],
        "clf_lr": first["config"]["lr"],
        "clf_wd": first["config"]["weight_decay"],
        "clf_shift": first["config"]["max_shift"],
        "val_first": f"{first['history'][-1]['val_mean_accuracy']:.4f}",
        "ft_epochs": c["config"]["epochs"],
        "ft_lr": c["config"]["lr"],
        "ft_ema": c["config"]["ema_decay"],
        "ft_seed": c["config"]["seed"],
        "clf_minutes": round((first["history"][-1]["seconds"] + c["history"][-1]["seconds"]) / 60),
        "val_before": f"{c['val_before_calibration']:.4f}",
        "val_after": f"{c['val_after_calibration']:.4f}",
        "mean_acc": f"{clf['mean_accuracy']:.4f}",
        "mean_bal": f"{clf['mean_balanced_accuracy']:.4f}",
        "majority": f"{clf['majority_class_accuracy']:.4f}",
        "gan_steps": g["history"][-1]["step"],
        "gan_batch": g["config"]["batch_size"],
        "gan_lr": g["config"]["lr_gen"],
        "gan_ema": g["config"]["ema_decay"],
        "fd": f"{gen['frechet_distance_penultimate']:.3f}",
        "fd_real": f"{gen['frechet_distance_real_val_vs_test']:.3f}",
        "rate_gap": f"{gen['mean_abs_attribute_rate_gap']:.4f}",
        "n_generated": gen["n_generated"],
        "male_train": f"{m['data_skews_train_labels']['rate_Male']:.3f}",
        "male_test": f"{m['data_skews_test_labels']['rate_Male']:.3f}",
        "per_attribute": "\n".join(rows),
        "skews": "\n".join(skews),
        "sha_gen": shipped_checksums().get(GENERATOR_FILE, "?"),
        "sha_clf": shipped_checksums().get(CLASSIFIER_FILE, "?"),
    }
    (WEIGHTS_DIR / "MODEL_CARD.md").write_text(TEMPLATE.read_text().format(**values))
    print(f"wrote {WEIGHTS_DIR / 'MODEL_CARD.md'}")


if __name__ == "__main__":
    main(*sys.argv[1:5])
