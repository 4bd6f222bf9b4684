"""Measure the trained models on CelebA's test split (``ganbias evaluate``).

* classifier: per-attribute accuracy and balanced accuracy;
* generator: the Fréchet distance between real and generated faces in the
  classifier's penultimate feature space, and the gap between the attribute
  rates the classifier predicts on real and on generated faces;
* the data's own skews: how often attributes occur among faces labelled Male
  and not Male.
"""

from __future__ import annotations

import copy
import json
import os
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import torch
from torch import nn

from .attributes import ATTRIBUTE_NAMES, N_ATTRIBUTES, attribute_index
from .data import CelebASplit, load_celeba
from .device import pick_device
from .models import Classifier, Generator, get_noise
from .weights import load_pretrained


@torch.no_grad()
def predict_logits(
    classifier: Classifier, data: CelebASplit, device: torch.device, batch_size: int = 512
) -> np.ndarray:
    """Classifier logits for every image of a split, as a float32 array ``(n, 40)``."""
    classifier.eval()
    out = []
    for start in range(0, len(data), batch_size):
        x, _ = data.batch(slice(start, start + batch_size), device)
        out.append(classifier(x).float().cpu())
    return torch.cat(out).numpy() if out else np.zeros((0, N_ATTRIBUTES), np.float32)


def classification_metrics(logits: np.ndarray, labels: np.ndarray) -> dict[str, list[float] | float]:
    """Per-attribute accuracy and balanced accuracy (predicting "present" when the logit > 0)."""
    pred = logits > 0
    truth = labels.astype(bool)
    acc = (pred == truth).mean(0)
    pos, neg = truth.sum(0), (~truth).sum(0)
    tpr = np.where(pos > 0, (pred & truth).sum(0) / np.maximum(pos, 1), np.nan)
    tnr = np.where(neg > 0, (~pred & ~truth).sum(0) / np.maximum(neg, 1), np.nan)
    balanced = np.nanmean(np.stack([tpr, tnr]), axis=0)
    majority = np.maximum(truth.mean(0), 1 - truth.mean(0))
    return {
        "mean_accuracy": float(acc.mean()),
        "mean_balanced_accuracy": float(np.nanmean(balanced)),
        "majority_class_accuracy": float(majority.mean()),
        "accuracy": [float(a) for a in acc],
        "balanced_accuracy": [float(b) for b in balanced],
    }


@torch.no_grad()
def recompute_batchnorm(model: nn.Module, inputs: Iterable[torch.Tensor]) -> None:
    """Recompute a model's batch-norm running statistics as the plain average over ``inputs``.

    Weights averaged over training (EMA) never ran in training mode, so their
    stored statistics would not match them; eval-mode outputs need matching ones.
    """
    bns = [m for m in model.modules() if isinstance(m, nn.BatchNorm2d)]
    for m in bns:
        m.reset_running_stats()
        m.momentum = None  # cumulative average over the batches below
    model.train()
    for x in inputs:
        model(x)
    for m in bns:
        m.momentum = 0.1
    model.eval()


@torch.no_grad()
def recalibrate_batchnorm(gen: Generator, n_batches: int = 50, batch_size: int = 256, seed: int = 0) -> None:
    """Recompute the generator's batch-norm running statistics from fresh noise (see :func:`recompute_batchnorm`)."""
    device = next(gen.parameters()).device
    rng = torch.Generator(device=device).manual_seed(seed)
    recompute_batchnorm(gen, (get_noise(batch_size, gen.z_dim, device, generator=rng) for _ in range(n_batches)))


def frechet_distance(a: np.ndarray, b: np.ndarray) -> float:
    """Fréchet distance between Gaussians fitted to two feature sets ``(n, d)`` and ``(m, d)``.

    ``|mu_a - mu_b|^2 + tr(S_a + S_b - 2 (S_a S_b)^(1/2))``, with the trace of the
    matrix square root computed from the eigenvalues of ``S_a^(1/2) S_b S_a^(1/2)``.
    """
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    mu_a, mu_b = a.mean(0), b.mean(0)
    s_a, s_b = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    w, v = np.linalg.eigh(s_a)
    root_a = (v * np.sqrt(np.clip(w, 0, None))) @ v.T
    middle = np.linalg.eigvalsh(root_a @ s_b @ root_a)
    tr_sqrt = np.sqrt(np.clip(middle, 0, None)).sum()
    return float(((mu_a - mu_b) ** 2).sum() + np.trace(s_a) + np.trace(s_b) - 2 * tr_sqrt)


@torch.no_grad()
def real_features(classifier: Classifier, data: CelebASplit, device: torch.device, batch_size: int = 500) -> np.ndarray:
    """Penultimate classifier features of every real image of a split."""
    classifier.eval()
    return np.concatenate(
        [
            classifier.features(data.batch(slice(s, s + batch_size), device)[0]).cpu().numpy()
            for s in range(0, len(data), batch_size)
        ]
    )


@torch.no_grad()
def generated_features_and_logits(
    gen: Generator, classifier: Classifier, n: int, seed: int, batch_size: int = 500
) -> tuple[np.ndarray, np.ndarray]:
    """Penultimate features and logits of ``n`` generated faces (seeded)."""
    device = next(gen.parameters()).device
    rng = torch.Generator(device=device).manual_seed(seed)
    feats, logits = [], []
    for s in range(0, n, batch_size):
        images = gen(get_noise(min(batch_size, n - s), gen.z_dim, device, generator=rng))
        hidden = classifier.classifier[:-1](images)  # one pass serves both: features() and forward()
        feats.append(hidden.mean(dim=(2, 3)).cpu().numpy())
        logits.append(classifier.classifier[-1](hidden).view(len(hidden), -1).cpu().numpy())
    return np.concatenate(feats), np.concatenate(logits)


#: An attribute at least this common among real faces is "under-drawn" when generated at under a third of it.
UNDERDRAWN_MIN_RATE = 0.03


def underdrawn_attributes(real_rates: np.ndarray, generated_rates: np.ndarray) -> list[str]:
    """Attributes predicted on at least 3% of real faces but on under a third as many generated ones."""
    return [
        name
        for name, r, g in zip(ATTRIBUTE_NAMES, real_rates, generated_rates)
        if r >= UNDERDRAWN_MIN_RATE and g < r / 3
    ]


class QuickEvaluation:
    """A cheap, repeatable check of a generator during training, against one real split.

    The classifier's features and predicted attribute rates on the real split are
    computed once; each call draws the same ``n`` faces (fixed noise) from a copy of
    the generator whose batch-norm statistics are recomputed from ``bn_batches``
    batches of noise, and returns the predicted "Male" rate, the mean absolute
    attribute-rate gap, the under-drawn attributes and the Fréchet distance. With
    1,000 faces the distance reads higher than :func:`evaluate`'s 10,000-face figure;
    use it to follow a run, not to compare with the model card.
    """

    def __init__(self, classifier: Classifier, real: CelebASplit, device: torch.device, seed: int = 12345) -> None:
        self.classifier, self.seed = classifier.eval(), seed
        self.real_features = real_features(classifier, real, device)
        self.real_rates = (predict_logits(classifier, real, device) > 0).mean(0)

    @torch.no_grad()
    def __call__(self, gen: Generator, n: int = 1000, bn_batches: int = 4) -> dict:
        """The figures for ``n`` faces of ``gen`` (left untouched: a copy is measured)."""
        male = attribute_index("Male")
        model = copy.deepcopy(gen)
        recalibrate_batchnorm(model, n_batches=bn_batches, batch_size=min(256, n), seed=self.seed)
        feats, logits = generated_features_and_logits(model, self.classifier, n, self.seed, batch_size=min(500, n))
        rates = (logits > 0).mean(0)
        return {
            "male_rate": float(rates[male]),
            "male_rate_real": float(self.real_rates[male]),
            "mean_abs_rate_gap": float(np.abs(rates - self.real_rates).mean()),
            "underdrawn": underdrawn_attributes(self.real_rates, rates),
            "frechet_distance": frechet_distance(self.real_features, feats),
        }


def attribute_skews(
    labels: np.ndarray,
    group: str = "Male",
    attributes: tuple[str, ...] = ("Young", "Attractive", "Smiling", "Heavy_Makeup", "Wearing_Lipstick", "No_Beard"),
) -> dict:
    """Rate of the group and of each attribute within and outside the group, from labels ``(n, 40)``."""
    g = labels[:, attribute_index(group)].astype(bool)
    out: dict = {"n": int(len(labels)), f"rate_{group}": float(g.mean()), "by_group": {}}
    for name in attributes:
        col = labels[:, attribute_index(name)].astype(bool)
        out["by_group"][name] = {
            "overall": float(col.mean()),
            f"{group}": float(col[g].mean()),
            f"not_{group}": float(col[~g].mean()),
        }
    return out


def evaluate(
    data_root: str | os.PathLike,
    out_dir: str | os.PathLike,
    generator_path: str | None = None,
    classifier_path: str | None = None,
    n_generated: int = 10_000,
    seed: int = 0,
    device: str | None = None,
    cache_dir: str | None = None,
) -> dict:
    """Evaluate both models on the test split and return the metrics.

    Writes ``metrics.json``, ``test_predictions.npz`` and ``samples.png`` into ``out_dir``.
    """
    from torchvision.utils import save_image

    dev = pick_device(device)
    gen, classifier = load_pretrained(dev, generator_path, classifier_path)
    test = load_celeba(data_root, "test", cache_dir)
    train = load_celeba(data_root, "train", cache_dir)
    val = load_celeba(data_root, "val", cache_dir)
    logits = predict_logits(classifier, test, dev)
    clf = classification_metrics(logits, test.labels)

    real = real_features(classifier, test, dev)
    fake, fake_logits = generated_features_and_logits(gen, classifier, n_generated, seed)
    real_rates = (logits > 0).mean(0)
    fake_rates = (fake_logits > 0).mean(0)
    metrics = {
        "test_images": len(test),
        "classifier": {**clf, "attributes": list(ATTRIBUTE_NAMES)},
        "generator": {
            "n_generated": n_generated,
            "seed": seed,
            "frechet_distance_penultimate": frechet_distance(real, fake),
            "frechet_distance_real_val_vs_test": frechet_distance(real, real_features(classifier, val, dev)),
            "mean_abs_attribute_rate_gap": float(np.abs(real_rates - fake_rates).mean()),
            "underdrawn_attributes": underdrawn_attributes(real_rates, fake_rates),
            "predicted_rate_real": [float(r) for r in real_rates],
            "predicted_rate_generated": [float(r) for r in fake_rates],
        },
        "data_skews_train_labels": attribute_skews(train.labels),
        "data_skews_test_labels": attribute_skews(test.labels),
    }
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    (out / "metrics.json").write_text(json.dumps(metrics, indent=2) + "\n")
    np.savez_compressed(
        out / "test_predictions.npz", labels=test.labels.astype(np.uint8), predictions=(logits > 0).astype(np.uint8)
    )
    with torch.no_grad():
        grid = gen(get_noise(64, gen.z_dim, dev, seed=seed))
    save_image(grid * 0.5 + 0.5, out / "samples.png", nrow=8)
    return metrics
