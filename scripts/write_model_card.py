"""Write ganbias_helpers/weights/MODEL_CARD.md from the measured reports (no number is typed by hand).

Usage (scripts/finalize_weights.sh runs it)::

    python scripts/write_model_card.py METRICS FIRST_CLASSIFIER_REPORT CLASSIFIER_REPORT GENERATOR_REPORT
    python scripts/write_model_card.py METRICS --keep-classifier GENERATOR_REPORT

``--keep-classifier`` is for shipping a new generator with the same classifier when the classifier's
training reports are not on this machine: the classifier's recipe, commands and data counts are carried
over from the current card (which the reports wrote), and only the generator's parts and the metrics change.
"""

from __future__ import annotations

import json
import re
import sys
import textwrap
from dataclasses import asdict
from pathlib import Path

from ganbias_helpers.attributes import ATTRIBUTE_NAMES
from ganbias_helpers.training import GeneratorConfig
from ganbias_helpers.weights import CLASSIFIER_FILE, GENERATOR_FILE, WEIGHTS_DIR, shipped_checksums

#: ``ganbias train generator`` options by GeneratorConfig field: a run's command names each that is not the default.
GENERATOR_FLAGS = {
    "batch_size": "--batch-size", "lr_gen": "--lr-gen", "lr_critic": "--lr-critic", "betas": "--betas",
    "ema_decay": "--ema", "ema_warmup": "--ema-warmup", "diffaug": "--diffaug", "mbstd_group": "--mbstd-group",
    "r1_gamma": "--r1-gamma", "r1_every": "--r1-every", "bn_batches": "--bn-batches",
    "bn_batch_size": "--bn-batch-size", "seed": "--seed", "checkpoint_every": "--checkpoint-every",
    "sample_every": "--sample-every", "eval_every": "--eval-every", "eval_n": "--eval-n",
    "snapshot_every": "--snapshot-every", "precision": "--precision", "init_from": "--init-from",
    "attr_weight": "--attr-weight", "attr_warmup": "--attr-warmup", "attr_target": "--attr-target",
    "attr_guide": "--attr-guide", "attr_sharpness": "--attr-sharpness",
}

TEMPLATE = Path(__file__).with_name("model_card_template.md")


def _cli(report_path: str, report: dict) -> str:
    """The ``ganbias train classifier`` command that wrote ``report`` (its folder is the report's)."""
    cfg = report["config"]
    out = Path(report_path).parent
    cmd = f"ganbias train classifier --data CELEBA_DIR --out {out} --epochs {cfg['epochs']} --lr {cfg['lr']}"
    if cfg.get("init_from"):
        cmd += f" \\\n    --init-from {cfg['init_from']}"
    if cfg.get("ema_decay"):
        cmd += f" --ema {cfg['ema_decay']}"
    return cmd + f" --seed {cfg['seed']}"


def _run_text(report: dict) -> str:
    cfg = report["config"]
    text = (
        f"AdamW (lr {cfg['lr']}, weight decay {cfg['weight_decay']}), cosine schedule over {cfg['epochs']} epochs, "
        f"batch {cfg['batch_size']}, horizontal flips and shifts of up to {cfg['max_shift']} pixels, "
        "binary cross-entropy over the 40 attributes"
    )
    if cfg.get("init_from"):
        text = f"starting from the weights of the run above, {text}"
    if cfg.get("ema_decay"):
        text += (
            f", keeping an exponential moving average of the weights (decay {cfg['ema_decay']}) whose "
            "batch-norm statistics were recomputed on 100 training batches at the end"
        )
    return text


def training_seconds(history: list[dict]) -> float:
    """A run's training time in seconds, across resumes.

    Reports written before "seconds" counted across resumes restart the count at each resume, so add up
    the last figure before every drop.
    """
    total, last = 0.0, 0.0
    for record in history:
        if record["seconds"] < last:
            total += last
        last = record["seconds"]
    return total + last


def classifier_recipe(first_path: str, first: dict, last_path: str, last: dict) -> dict[str, str]:
    """The classifier's recipe paragraph and commands, for one training run or a run and its fine-tuning."""
    one_run = Path(first_path).resolve() == Path(last_path).resolve()
    runs = [(last_path, last)] if one_run else [(first_path, first), (last_path, last)]
    minutes = round(sum(training_seconds(r["history"]) for _, r in runs) / 60)
    if one_run:
        recipe = f"Classifier, in one run: {_run_text(last)}."
    else:
        recipe = (
            f"Classifier, in two runs: first {_run_text(first)} (validation mean accuracy "
            f"{first['history'][-1]['val_mean_accuracy']:.4f}); then {_run_text(last)}."
        )
    recipe += (
        " Finally each attribute's decision threshold was tuned on the validation split and folded into the last"
        " layer's bias, so the model predicts an attribute when its logit is above 0 (validation mean accuracy"
        f" {last['val_before_calibration']:.4f} before, {last['val_after_calibration']:.4f} after)."
        f" About {minutes} minutes of training in all, on 2 CPU cores shared with other jobs."
    )
    return {
        "clf_recipe": textwrap.fill(recipe, width=78),
        "clf_commands": "\n".join(_cli(path, r) for path, r in runs),
        "clf_dir": str(Path(last_path).parent),
        "report_args": " \\\n    ".join(dict.fromkeys([first_path, last_path])),
    }


def _threads(n: int) -> str:
    return f"{n} thread{'s' if n > 1 else ''}"


def where_it_ran(report: dict) -> str:
    """Device and threads of a run, stretch by stretch where a resume changed them (from the history's records).

    Reports from before the records kept them give the report's own device and thread count.
    """
    device = report.get("device", "cpu")
    if not any("threads" in record for record in report["history"]):
        threads = report.get("torch_threads")
        return f"{device}, {_threads(threads)}" if threads else device
    stretches: list[list] = []  # [device, threads, last step]
    for record in report["history"]:
        here = [record.get("device", device), record.get("threads")]
        if stretches and stretches[-1][:2] == here:
            stretches[-1][2] = record["step"]
        else:
            stretches.append([*here, record["step"]])
    parts = [f"{d}, {_threads(t) if t else 'threads not recorded'}" for d, t, _ in stretches]
    return "; ".join(f"{p} to step {last:,}" if i < len(parts) - 1 else (f"then {p}" if i else p)
                     for i, (p, (_, _, last)) in enumerate(zip(parts, stretches)))


def generator_recipe(report_path: str, report: dict) -> dict[str, str]:
    """The generator's recipe paragraph and its ``ganbias train generator`` command, from its report."""
    cfg = {**asdict(GeneratorConfig()), **report["config"]}
    defaults = asdict(GeneratorConfig())
    steps = report["history"][-1]["step"]
    out = Path(report_path).parent
    cmd = f"ganbias train generator --data CELEBA_DIR --out {out} --steps {steps}"
    if report.get("torch_threads"):
        cmd += f" --threads {report['torch_threads']}"
    for key, flag in GENERATOR_FLAGS.items():
        value, default = cfg[key], defaults[key]
        if key == "r1_every" and not cfg["r1_gamma"]:
            continue
        if key.startswith("attr_") and key != "attr_weight" and not cfg["attr_weight"]:
            continue
        if isinstance(value, bool):
            if value != default:
                cmd += f" {flag}"
        elif isinstance(value, (list, tuple)):
            if tuple(value) != tuple(default):
                cmd += f" {flag} {' '.join(str(v) for v in value)}"
        elif value is not None and value != default:
            cmd += f" {flag} {value}"
    critic = "four stride-2 convolutions, 64 to 512 channels, no batch norm"
    if cfg["mbstd_group"]:
        critic += f", a minibatch-standard-deviation channel (groups of {cfg['mbstd_group']}) before its last layer"
    loss = "the hinge loss"
    if cfg["r1_gamma"]:
        loss += f" and an R1 penalty on real faces (gamma {cfg['r1_gamma']}, every {cfg['r1_every']} steps)"
    b1, b2 = cfg["betas"]
    if cfg["lr_gen"] == cfg["lr_critic"]:
        adam = f"Adam (lr {cfg['lr_gen']}, betas {b1}/{b2}) for both"
    else:
        adam = f"Adam (betas {b1}/{b2}; lr {cfg['lr_gen']} for the generator, {cfg['lr_critic']} for the critic)"
    text = (
        f"Generator: the course's DCGAN generator against a spectral-norm critic ({critic}) with {loss}; "
        f"{adam}, batch {cfg['batch_size']}, {steps} steps{' in this run' if cfg.get('init_from') else ''}, "
        "horizontal flips of the real faces"
    )
    if cfg["diffaug"]:
        text += (
            "; real and generated faces both pass through differentiable augmentation "
            f"({cfg['diffaug'].replace(',', ', ')}) before the critic"
        )
    if cfg["attr_weight"]:
        source = f"a separate, frozen guide classifier (`{cfg['attr_guide']}`)" if cfg["attr_guide"] else (
            "an attribute head on the critic")
        text += (
            f"; an attribute-matching term (weight {cfg['attr_weight']}) pushes the share of generated faces "
            f"showing each of the 40 attributes, as {source} sees them, toward the share among real "
            "training faces"
        )
    if cfg.get("init_from"):
        text += f"; the run started from the weights of an earlier run (`{cfg['init_from']}`)"
    average = f"decay {cfg['ema_decay']}"
    if cfg["ema_warmup"]:
        average = f"decay min({cfg['ema_decay']}, (1+t)/(10+t)) at step t"
    text += (
        f". The shipped weights are an exponential moving average ({average}) of the generator's "
        "weights, with batch-norm statistics recomputed from fresh noise at the end."
    )
    seconds = training_seconds(report["history"])
    if seconds:
        hours = seconds / 3600
        text += f" About {hours:.1f}" if hours >= 1 else f" About {hours:.2f}"
        text += f" hours of training ({where_it_ran(report)})."
    recipe = textwrap.fill(text, width=78, break_on_hyphens=False)
    return {"gen_recipe": recipe, "gen_command": _wrap_command(cmd), "gen_dir": str(out)}


def _wrap_command(cmd: str, width: int = 100) -> str:
    """Break a long shell command before its options, with backslash continuations."""
    parts = cmd.replace(" --", "\0--").split("\0")
    lines = [parts[0]]
    for part in parts[1:]:
        if len(lines[-1]) + 1 + len(part) > width - 2:
            lines.append("    " + part)
        else:
            lines[-1] += " " + part
    return " \\\n".join(lines)


KEEP_CLASSIFIER = "--keep-classifier"


def classifier_from_card(card: str) -> dict[str, object]:
    """The classifier's parts of a card the reports wrote: recipe, commands, run folder, data counts."""
    recipe = re.search(r"^Classifier, .*?(?=\n\n)", card, re.S | re.M)
    commands = re.findall(r"^ganbias train classifier .*?(?=\n(?!    ))", card, re.S | re.M)
    clf_dir = re.search(r"^cp (\S+)/pretrained_classifier\.pth ", card, re.M)
    counts = re.search(r"(\d+) train, (\d+) validation and", card.replace("\n  ", " "))
    if not (recipe and commands and clf_dir and counts):
        raise SystemExit(f"{KEEP_CLASSIFIER}: the current model card has no classifier recipe to keep")
    return {
        "clf_recipe": recipe.group(0), "clf_commands": "\n".join(commands), "clf_dir": clf_dir.group(1),
        "report_args": KEEP_CLASSIFIER, "n_train": int(counts.group(1)), "n_val": int(counts.group(2)),
    }


def main(metrics_path: str, *reports: str) -> None:
    """Fill the template with the evaluation metrics and the training reports, and write the card.

    ``reports``: FIRST_CLASSIFIER_REPORT CLASSIFIER_REPORT GENERATOR_REPORT, or --keep-classifier GENERATOR_REPORT.
    """
    m = json.loads(Path(metrics_path).read_text())
    generator_report = reports[-1]
    g = json.loads(Path(generator_report).read_text())
    if reports[0] == KEEP_CLASSIFIER:
        clf_values = classifier_from_card((WEIGHTS_DIR / "MODEL_CARD.md").read_text())
    else:
        first_report, classifier_report = reports[:2]
        first = json.loads(Path(first_report).read_text())
        c = json.loads(Path(classifier_report).read_text())
        clf_values = {"n_train": c["n_train"], "n_val": c["n_val"],
                      **classifier_recipe(first_report, first, classifier_report, c)}
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
    checksums = shipped_checksums()
    values = {
        **clf_values,
        "n_test": m["test_images"],
        "mean_acc": f"{clf['mean_accuracy']:.4f}",
        "mean_bal": f"{clf['mean_balanced_accuracy']:.4f}",
        "majority": f"{clf['majority_class_accuracy']:.4f}",
        **generator_recipe(generator_report, g),
        "fd": f"{gen['frechet_distance_penultimate']:.3f}",
        "fd_real": f"{gen['frechet_distance_real_val_vs_test']:.3f}",
        "rate_gap": f"{gen['mean_abs_attribute_rate_gap']:.4f}",
        "male_real": f"{gen['predicted_rate_real'][ATTRIBUTE_NAMES.index('Male')]:.3f}",
        "male_generated": f"{gen['predicted_rate_generated'][ATTRIBUTE_NAMES.index('Male')]:.3f}",
        "n_underdrawn": len(gen["underdrawn_attributes"]),
        "underdrawn": f" ({', '.join(gen['underdrawn_attributes'])})" if gen["underdrawn_attributes"] else "",
        "n_generated": gen["n_generated"],
        "male_train": f"{m['data_skews_train_labels']['rate_Male']:.3f}",
        "male_test": f"{m['data_skews_test_labels']['rate_Male']:.3f}",
        "per_attribute": "\n".join(rows),
        "skews": "\n".join(skews),
        "sha_gen": checksums.get(GENERATOR_FILE, "?"),
        "sha_clf": checksums.get(CLASSIFIER_FILE, "?"),
    }
    (WEIGHTS_DIR / "MODEL_CARD.md").write_text(TEMPLATE.read_text().format(**values))
    print(f"wrote {WEIGHTS_DIR / 'MODEL_CARD.md'}")


if __name__ == "__main__":
    if len(sys.argv) not in (4, 5) or (len(sys.argv) == 4) != (sys.argv[2] == KEEP_CLASSIFIER):
        raise SystemExit(__doc__)
    main(*sys.argv[1:])
