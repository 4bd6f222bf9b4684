"""Train the course's classifier and generator on a CelebA folder, with checkpoints and resume.

Both trainers write weights in the original course's format
(``{"classifier": state_dict}`` and ``{"gen": state_dict}``), keep a checkpoint
they can resume from after an interruption, and save a JSON report.
"""

from __future__ import annotations

import copy
import json
import logging
import math
import os
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils import spectral_norm

from .attributes import N_ATTRIBUTES
from .data import load_celeba
from .device import compute_dtype, pick_device
from .evaluation import (
    QuickEvaluation,
    classification_metrics,
    predict_logits,
    recalibrate_batchnorm,
    recompute_batchnorm,
)
from .models import Z_DIM, Classifier, Generator, get_noise

log = logging.getLogger("ganbias")


def _seconds_so_far(history: list[dict]) -> float:
    """Training seconds recorded before this run resumed (0 for a fresh run)."""
    return float(history[-1].get("seconds", 0.0)) if history else 0.0


def _save_atomic(obj: object, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    torch.save(obj, tmp)
    os.replace(tmp, path)


def _write_json(obj: object, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(obj, indent=2) + "\n")
    os.replace(tmp, path)


def _epoch_order(n: int, seed: int, epoch: int) -> np.ndarray:
    return np.random.default_rng([seed, epoch]).permutation(n)


def augment(x: torch.Tensor, rng: torch.Generator, max_shift: int = 0) -> torch.Tensor:
    """Random horizontal flips and (optionally) shifts of up to ``max_shift`` pixels."""
    n = len(x)
    flip = torch.rand(n, generator=rng, device="cpu") < 0.5
    x = torch.where(flip.to(x.device)[:, None, None, None], x.flip(3), x)
    if max_shift:
        pad = F.pad(x, (max_shift,) * 4, mode="replicate")
        dx, dy = torch.randint(0, 2 * max_shift + 1, (2, n), generator=rng).tolist()
        size = x.shape[-1]
        x = torch.stack([pad[i, :, dy[i] : dy[i] + size, dx[i] : dx[i] + size] for i in range(n)])
    return x


# --------------------------------------------------------------------------- classifier


@dataclass
class ClassifierConfig:
    """Settings of a classifier run (saved in its checkpoint and report)."""

    epochs: int = 10
    batch_size: int = 128
    lr: float = 1e-3
    weight_decay: float = 1e-4
    max_shift: int = 4
    seed: int = 0
    max_steps: int | None = None  # stop early (tests, smoke runs)
    init_from: str | None = None  # start from these weights (a checkpoint or a course-format file)
    ema_decay: float | None = None  # if set, ship an exponential moving average of the weights


def calibrate_thresholds(logits: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Per attribute, the logit threshold that maximises accuracy on (validation) data."""
    thresholds = np.zeros(logits.shape[1], dtype=np.float32)
    for j in range(logits.shape[1]):
        order = np.argsort(logits[:, j])
        s, y = logits[order, j], labels[order, j].astype(np.int64)
        # Threshold between s[k-1] and s[k]: predict positive for s >= s[k].
        # correct(k) = negatives below k + positives from k on.
        neg_below = np.concatenate([[0], np.cumsum(1 - y)])
        pos_from = y.sum() - np.concatenate([[0], np.cumsum(y)])
        k = int(np.argmax(neg_below + pos_from))
        if k == 0:
            thresholds[j] = s[0] - 1.0
        elif k == len(s):
            thresholds[j] = s[-1] + 1.0
        else:
            thresholds[j] = (s[k - 1] + s[k]) / 2
    return thresholds


def train_classifier(
    data_root: str | os.PathLike,
    out_dir: str | os.PathLike,
    config: ClassifierConfig | None = None,
    device: str | None = None,
    cache_dir: str | None = None,
    limit: int | None = None,
    progress: bool = True,
) -> dict:
    """Train the 40-attribute classifier, resuming from ``out_dir/classifier_checkpoint.pt`` if present.

    After training, each attribute's decision threshold is tuned on the validation split and
    folded into the last layer's bias, so the saved model predicts with ``logit > 0``.
    Writes ``pretrained_classifier.pth`` and ``classifier_report.json`` into ``out_dir``.
    """
    from tqdm.auto import tqdm

    config = config or ClassifierConfig()
    dev = pick_device(device)
    out = Path(out_dir)
    ckpt_path = out / "classifier_checkpoint.pt"
    train = load_celeba(data_root, "train", cache_dir, limit, progress)
    val = load_celeba(data_root, "val", cache_dir, limit, progress)
    if len(train) == 0:
        raise ValueError(f"no training images found in {data_root}")

    torch.manual_seed(config.seed)
    model = Classifier(n_classes=N_ATTRIBUTES).to(dev)
    opt = torch.optim.AdamW(model.parameters(), lr=config.lr, weight_decay=config.weight_decay)
    steps_per_epoch = math.ceil(len(train) / config.batch_size)
    scheduled = config.epochs * steps_per_epoch  # the cosine schedule spans all epochs
    total = scheduled if config.max_steps is None else min(scheduled, config.max_steps)
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: 0.5 * (1 + math.cos(math.pi * min(s, scheduled) / scheduled))
    )
    if config.init_from:
        start = torch.load(config.init_from, map_location=dev, weights_only=False)
        model.load_state_dict(start.get("model", start.get("classifier", start)))
    ema = copy.deepcopy(model).requires_grad_(False) if config.ema_decay else None
    rng = torch.Generator().manual_seed(config.seed)
    step, history = 0, []
    if ckpt_path.exists():
        ckpt = torch.load(ckpt_path, map_location=dev, weights_only=False)
        model.load_state_dict(ckpt["model"])
        if ema is not None:
            ema.load_state_dict(ckpt["ema"])
        opt.load_state_dict(ckpt["opt"])
        sched.load_state_dict(ckpt["sched"])
        rng.set_state(ckpt["rng"])
        step, history = ckpt["step"], ckpt["history"]
        log.info("resumed classifier training from %s at step %d", ckpt_path, step)

    def checkpoint() -> None:
        _save_atomic(
            {
                "model": model.state_dict(),
                "ema": ema.state_dict() if ema is not None else None,
                "opt": opt.state_dict(),
                "sched": sched.state_dict(),
                "rng": rng.get_state(),
                "step": step,
                "history": history,
                "config": asdict(config),
            },
            ckpt_path,
        )

    loss_fn = nn.BCEWithLogitsLoss()
    bar = tqdm(total=total, initial=step, desc="classifier", unit="step", disable=not progress)
    started = time.time() - _seconds_so_far(history)  # "seconds" counts training time across resumes
    while step < total:
        epoch, within = divmod(step, steps_per_epoch)
        order = _epoch_order(len(train), config.seed, epoch)
        model.train()
        running = []
        for b in range(within, steps_per_epoch):
            if step >= total:
                break
            idx = np.sort(order[b * config.batch_size : (b + 1) * config.batch_size])
            x, y = train.batch(idx, dev)
            x = augment(x, rng, config.max_shift)
            loss = loss_fn(model(x), y)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
            if ema is not None:
                _update_ema(ema, model, config.ema_decay)
            step += 1
            running.append(loss.item())
            bar.update(1)
            bar.set_postfix(loss=f"{np.mean(running[-50:]):.4f}", epoch=epoch + 1)
            if step % 200 == 0:
                checkpoint()
        shipped = ema if ema is not None else model
        val_acc = (
            classification_metrics(predict_logits(shipped, val, dev), val.labels)["mean_accuracy"]
            if len(val)
            else None
        )
        history.append(
            {
                "epoch": epoch + 1,
                "step": step,
                "train_loss": float(np.mean(running)) if running else None,
                "val_mean_accuracy": val_acc,
                "seconds": round(time.time() - started, 1),
            }
        )
        log.info("classifier epoch %d: %s", epoch + 1, history[-1])
        checkpoint()
    bar.close()

    if ema is not None:
        # The averaged weights never ran in training mode: recompute their batch-norm statistics.
        order = _epoch_order(len(train), config.seed, 10**6)[: 100 * config.batch_size]
        recompute_batchnorm(ema, (train.batch(order[i : i + config.batch_size], dev)[0]
                                  for i in range(0, len(order), config.batch_size)))
        model = ema
    report: dict = {
        "config": asdict(config),
        "device": str(dev),
        "history": history,
        "n_train": len(train),
        "n_val": len(val),
    }
    if len(val):
        val_logits = predict_logits(model, val, dev)
        report["val_before_calibration"] = classification_metrics(val_logits, val.labels)["mean_accuracy"]
        thresholds = calibrate_thresholds(val_logits, val.labels)
        with torch.no_grad():
            model.classifier[-1][0].bias -= torch.as_tensor(thresholds, device=dev)
        report["thresholds"] = [float(t) for t in thresholds]
        report["val_after_calibration"] = classification_metrics(predict_logits(model, val, dev), val.labels)[
            "mean_accuracy"
        ]
    model.cpu().eval()
    _save_atomic({"classifier": model.state_dict()}, out / "pretrained_classifier.pth")
    _write_json(report, out / "classifier_report.json")
    return report


# --------------------------------------------------------------------------- generator


DIFFAUG_POLICIES = ("color", "translation", "cutout")


def diff_augment(x: torch.Tensor, policy: str, rng: torch.Generator) -> torch.Tensor:
    """Differentiable augmentation (Zhao et al. 2020, "DiffAugment") of a batch in [-1, 1].

    ``policy`` is a comma-separated subset of ``color`` (random brightness, saturation
    and contrast), ``translation`` (shifts of up to 1/8 of the image, zero padding) and
    ``cutout`` (one zeroed square of half the image's side); ``""`` returns ``x``.
    The same kind of draw is applied to real and generated faces before the critic,
    and gradients flow through it to the generator. Random draws come from ``rng``
    (a CPU generator, saved in checkpoints), one set per image.
    """
    parts = [p for p in policy.split(",") if p]
    unknown = set(parts) - set(DIFFAUG_POLICIES)
    if unknown:
        raise ValueError(f"unknown augmentation {sorted(unknown)}; choose from {', '.join(DIFFAUG_POLICIES)}")
    n, _, h, w = x.shape
    dev = x.device

    def rand(*shape: int) -> torch.Tensor:
        return torch.rand(*shape, generator=rng).to(dev, x.dtype)

    for part in parts:
        if part == "color":
            x = x + (rand(n, 1, 1, 1) - 0.5)  # brightness
            mean = x.mean(1, keepdim=True)
            x = (x - mean) * (rand(n, 1, 1, 1) * 2) + mean  # saturation
            mean = x.mean((1, 2, 3), keepdim=True)
            x = (x - mean) * (rand(n, 1, 1, 1) + 0.5) + mean  # contrast
        elif part == "translation":
            sh, sw = int(h * 0.125 + 0.5), int(w * 0.125 + 0.5)
            ty = torch.randint(-sh, sh + 1, (n,), generator=rng).to(dev)
            tx = torch.randint(-sw, sw + 1, (n,), generator=rng).to(dev)
            pad = F.pad(x, (sw, sw, sh, sh))
            rows = torch.arange(h, device=dev)[None, :] + sh - ty[:, None]
            cols = torch.arange(w, device=dev)[None, :] + sw - tx[:, None]
            batch = torch.arange(n, device=dev)[:, None, None]
            x = pad[batch, :, rows[:, :, None], cols[:, None, :]].permute(0, 3, 1, 2)
        else:  # cutout
            ch, cw = int(h * 0.5 + 0.5), int(w * 0.5 + 0.5)
            oy = torch.randint(0, h + (1 - ch % 2), (n,), generator=rng).to(dev) - ch // 2
            ox = torch.randint(0, w + (1 - cw % 2), (n,), generator=rng).to(dev) - cw // 2
            r, c = torch.arange(h, device=dev)[None, :], torch.arange(w, device=dev)[None, :]
            in_r = (r >= oy[:, None]) & (r < oy[:, None] + ch)
            in_c = (c >= ox[:, None]) & (c < ox[:, None] + cw)
            x = x * (~(in_r[:, :, None] & in_c[:, None, :]))[:, None].to(x.dtype)
    return x


def minibatch_stddev(x: torch.Tensor, group: int) -> torch.Tensor:
    """Append one channel: the features' standard deviation over groups of ``group`` images (ProGAN).

    It lets the critic see how varied a batch is, so a generator that draws too few
    kinds of face is told so. The group is the largest divisor of the batch up to ``group``.
    """
    n, c, h, w = x.shape
    g = max(d for d in range(1, min(group, n) + 1) if n % d == 0)
    y = x.view(g, -1, c, h, w)
    y = (y - y.mean(0)).square().mean(0).add(1e-8).sqrt().mean((1, 2, 3))  # (n // g,)
    return torch.cat([x, y.repeat(g).view(n, 1, 1, 1).expand(n, 1, h, w)], 1)


class Critic(nn.Module):
    """Spectral-norm convolutional critic for hinge-loss GAN training (no batch norm).

    Four stride-2 convolutions (64 to 512 channels) take a 64x64 image to 4x4,
    and a spectrally normalised linear layer gives one score per image. With
    ``mbstd_group`` > 0 a minibatch-standard-deviation channel is appended at 4x4
    before the linear layer; with 0 (the default) the critic is the original one,
    parameter for parameter. With ``n_attributes`` > 0 it also has an attribute head:
    a linear layer from the same 4x4 features to that many logits, trained on real
    faces' CelebA labels (see ``GeneratorConfig.attr_weight``).
    """

    def __init__(self, im_chan: int = 3, hidden_dim: int = 64, mbstd_group: int = 0, n_attributes: int = 0) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        channels = [im_chan, hidden_dim, hidden_dim * 2, hidden_dim * 4, hidden_dim * 8]
        for c_in, c_out in zip(channels[:-1], channels[1:]):
            layers += [spectral_norm(nn.Conv2d(c_in, c_out, 4, 2, 1)), nn.LeakyReLU(0.1, inplace=True)]
        self.body = nn.Sequential(*layers)
        self.mbstd_group = mbstd_group
        self.head = spectral_norm(nn.Linear((channels[-1] + (1 if mbstd_group else 0)) * 4 * 4, 1))
        self.attributes = nn.Linear(channels[-1] * 4 * 4, n_attributes) if n_attributes else None

    def forward(
        self, image: torch.Tensor, with_attributes: bool = False
    ) -> torch.Tensor | tuple[torch.Tensor, torch.Tensor]:
        """One realness score per image, shape ``(n,)``; with ``with_attributes``, also ``(n, n_attributes)`` logits."""
        h = self.body(image)
        features = h.flatten(1)
        if self.mbstd_group:
            h = minibatch_stddev(h, self.mbstd_group)
        score = self.head(h.flatten(1)).view(-1)
        if not with_attributes:
            return score
        if self.attributes is None:
            raise ValueError("this critic has no attribute head (n_attributes=0)")
        return score, self.attributes(features)


@dataclass
class GeneratorConfig:
    """Settings of a generator run (saved in its checkpoint and report).

    The defaults are the recipe of the first shipped weights (4,300 steps of it);
    docs/generator_training.md gives the settings of the current recipe.
    """

    steps: int = 4000
    batch_size: int = 64
    lr_gen: float = 2e-4
    lr_critic: float = 2e-4
    betas: tuple[float, float] = (0.5, 0.999)
    ema_decay: float = 0.999
    ema_warmup: bool = False  # average over a window that grows with the run: decay min(ema_decay, (1+t)/(10+t))
    seed: int = 0
    checkpoint_every: int = 100
    sample_every: int = 500
    bn_batches: int = 50  # noise batches that recompute the exported generator's batch-norm statistics
    bn_batch_size: int = 256
    diffaug: str = ""  # DiffAugment policy for real and fake faces before the critic, e.g. "translation,cutout"
    mbstd_group: int = 0  # critic's minibatch-stddev group size (0: none)
    r1_gamma: float = 0.0  # zero-centred gradient penalty on real faces, gamma / 2 * |grad|^2 (0: none)
    r1_every: int = 16  # apply R1 every this many steps, scaled up by it ("lazy" regularisation)
    eval_every: int = 0  # every this many steps, a quick evaluation on the val split (0: never)
    eval_n: int = 1000  # faces generated for the quick evaluation
    eval_bn_batches: int = 4  # noise batches that recompute batch-norm statistics before a quick evaluation
    eval_classifier: str | None = None  # classifier for the quick evaluation (default: the shipped one)
    snapshot_every: int = 0  # every this many steps, export the averaged generator to snapshots/ (0: never)
    # The networks' passes: "float32", "bfloat16" (autocast; weights, Adam and the average stay float32) or
    # "auto" (bfloat16 on a CPU with native bfloat16). Like the device, it may change on a resume.
    precision: str = "float32"
    # Attribute matching (0: off). The critic gets an attribute head trained on real faces' CelebA labels
    # (binary cross-entropy), and the generator is pushed, with this weight, to make the head's mean predicted
    # rate of each attribute over a batch match the training split's label rate (squared gap over the rate's
    # binomial variance, averaged over the 40). The weight ramps up linearly over ``attr_warmup`` steps.
    attr_weight: float = 0.0
    attr_warmup: int = 1000
    # What the generated rates are matched to: "labels" (the training split's label rates) or "critic" (the head's
    # own mean prediction on real faces, a running average over batches, which cancels the head's calibration error).
    attr_target: str = "labels"
    # A separate attribute network for the matching instead of the critic's head: a classifier weights file in the
    # course's format, trained on the labels beforehand (``ganbias train classifier``) and frozen here. With the
    # "critic" target its rates are matched to its own mean prediction over the real training faces (computed once).
    # It must not be the classifier ``ganbias evaluate`` measures with, or the evaluation would grade its own guide.
    attr_guide: str | None = None
    # Rates are means of sigmoid(sharpness * logit): above 1 they approach the share of faces predicted present
    # (logit > 0), which is what the evaluation counts, rather than the mean score.
    attr_sharpness: float = 1.0
    # Start a new run from another run's weights (a checkpoint or a carried copy): generator, critic and average;
    # a missing attribute head starts fresh. Adam, the step count and the random streams start anew.
    init_from: str | None = None


#: Settings that may differ between a run and its resumption (when to stop, log, save, measure, export).
_RESUMABLE_CHANGES = {
    "steps", "checkpoint_every", "sample_every", "eval_every", "eval_n", "eval_bn_batches", "eval_classifier",
    "snapshot_every", "bn_batches", "bn_batch_size", "precision",
}


def _recipe_changes(saved: dict, config: GeneratorConfig) -> list[str]:
    """The settings in which ``config`` differs from a checkpoint's (old checkpoints lack newer fields)."""
    now, defaults = asdict(config), asdict(GeneratorConfig())
    changes = []
    for key, value in now.items():
        if key in _RESUMABLE_CHANGES:
            continue
        before = saved.get(key, defaults[key])
        if isinstance(before, (list, tuple)):
            before, value = tuple(before), tuple(value)
        if before != value:
            changes.append(f"{key}={before!r} in the checkpoint, {value!r} now")
    return changes


def _update_ema(ema: nn.Module, model: nn.Module, decay: float) -> None:
    with torch.no_grad():
        for p_ema, p in zip(ema.parameters(), model.parameters()):
            p_ema.lerp_(p, 1 - decay)
        for b_ema, b_live in zip(ema.buffers(), model.buffers()):
            b_ema.copy_(b_live)


def _export_generator(ema: Generator, path: Path, config: GeneratorConfig) -> Generator:
    """Write the averaged generator in the course's format, batch-norm statistics recomputed; return it (CPU)."""
    final = copy.deepcopy(ema)
    recalibrate_batchnorm(final, n_batches=config.bn_batches, batch_size=config.bn_batch_size, seed=config.seed)
    final.cpu()
    _save_atomic({"gen": final.state_dict()}, path)
    return final


#: Version tag of a carried checkpoint (see :func:`write_carry`).
CARRY_FORMAT = "ganbias-generator-carry/1"


def _half(state: dict) -> dict:
    """A state dict with its floating tensors stored as float16 (kept as they are where float16 would overflow)."""
    out = {}
    for k, v in state.items():
        half = v.half() if v.is_floating_point() else None
        out[k] = half if half is not None and bool(torch.isfinite(half).all()) else v
    return out


def _float32(state: dict) -> dict:
    """A state dict with its floating tensors back in float32 (the inverse of :func:`_half`)."""
    return {k: v.float() if v.is_floating_point() else v for k, v in state.items()}


def write_carry(ckpt: dict, path: Path) -> None:
    """Write the compact form of a generator checkpoint that a run carries from one machine to the next.

    It keeps the generator, the critic and the weight average (as float16), the random
    streams, the step, the history and the recipe, but not the two Adam states: about
    13 MB where the full checkpoint is about 63 MB, small enough to commit. A run resumed
    from it goes on with the same recipe, its Adam moments restarted.
    """
    carried = {k: ckpt[k] for k in ("rng", "noise_rng", "aug_rng", "step", "history", "evals", "config", "resumes",
                                    "attr_real_rates") if k in ckpt}
    carried.update({part: _half(ckpt[part]) for part in ("gen", "critic", "ema")})
    carried["format"] = CARRY_FORMAT
    _save_atomic(carried, path)


def _read_carry(path: Path, device: torch.device) -> dict:
    """Load a carried checkpoint as a full one without optimiser states (weights back in float32)."""
    try:
        carried = torch.load(path, map_location=device, weights_only=False)
    except Exception as exc:  # a truncated or foreign file: say which, lose nothing
        raise ValueError(f"{path} is not a readable carried generator checkpoint ({exc})") from exc
    if not isinstance(carried, dict) or carried.get("format") != CARRY_FORMAT:
        raise ValueError(f"{path} is not a carried generator checkpoint (no format {CARRY_FORMAT!r} in it)")
    for part in ("gen", "critic", "ema"):
        carried[part] = _float32(carried[part])
    return carried


def _load_guide(path: str, device: torch.device) -> nn.Module:
    """The frozen attribute network for matching; refuses the shipped classifier, which grades the generator."""
    from .weights import CLASSIFIER_FILE, load_classifier, sha256_file, shipped_checksums

    if Path(path).is_file() and sha256_file(path) == shipped_checksums().get(CLASSIFIER_FILE):
        raise ValueError(
            f"--attr-guide {path} is the shipped classifier, which `ganbias evaluate` measures the generator "
            "with: train a separate one (ganbias train classifier --seed ...) so the evaluation stays independent"
        )
    return load_classifier(path, device)


def train_generator(
    data_root: str | os.PathLike,
    out_dir: str | os.PathLike,
    config: GeneratorConfig | None = None,
    device: str | None = None,
    cache_dir: str | None = None,
    limit: int | None = None,
    progress: bool = True,
    carry: str | os.PathLike | None = None,
) -> dict:
    """Train the DCGAN generator against a spectral-norm hinge critic, resuming if a checkpoint exists.

    Uses all images of the train split (with random horizontal flips). Optionally the
    critic sees real and generated faces through differentiable augmentation
    (``config.diffaug``), appends a minibatch-stddev channel (``mbstd_group``) and is
    regularised by a lazy R1 penalty (``r1_gamma``). The shipped weights are an
    exponential moving average of the generator's weights, with batch-norm statistics
    recomputed at the end. Writes ``pretrained_celeba.pth``, sample grids and
    ``generator_report.json`` into ``out_dir``; ``generator_checkpoint.pt`` holds
    everything needed to continue (run the same command again, with more ``steps``;
    a command whose recipe differs from the checkpoint's is refused). With
    ``eval_every``, a quick evaluation of the averaged and the live generator on the
    validation split is logged and kept in ``quick_eval.json``; with ``snapshot_every``,
    the averaged generator is exported to ``snapshots/`` along the way.

    With ``carry``, a compact copy of each checkpoint (:func:`write_carry`) is kept at
    that path too, and a run with no checkpoint in ``out_dir`` resumes from it: that is
    how a run goes on on another machine, from a copy committed to the repository. Such
    a resume restarts the Adam moments and rounds the weights to float16 once; it is
    recorded in the checkpoint's and the report's ``resumes``.
    """
    from torchvision.utils import save_image
    from tqdm.auto import tqdm

    config = config or GeneratorConfig()
    diff_augment(torch.zeros(1, 3, 8, 8), config.diffaug, torch.Generator())  # reject an unknown policy early
    dev = pick_device(device)
    low = compute_dtype(config.precision, dev) == torch.bfloat16  # checks the name too, before any data is read
    if config.attr_target not in ("labels", "critic"):
        raise ValueError(f"attr_target should be 'labels' or 'critic', not {config.attr_target!r}")
    guide = _load_guide(config.attr_guide, dev) if config.attr_weight and config.attr_guide else None
    out = Path(out_dir)
    ckpt_path = out / "generator_checkpoint.pt"
    train = load_celeba(data_root, "train", cache_dir, limit, progress)
    if len(train) == 0:
        raise ValueError(f"no training images found in {data_root}")

    torch.manual_seed(config.seed)
    gen = Generator(Z_DIM).to(dev)
    head = N_ATTRIBUTES if config.attr_weight and guide is None else 0
    critic = Critic(mbstd_group=config.mbstd_group, n_attributes=head).to(dev)
    ema = copy.deepcopy(gen).requires_grad_(False)
    opt_g = torch.optim.Adam(gen.parameters(), lr=config.lr_gen, betas=config.betas)
    opt_c = torch.optim.Adam(critic.parameters(), lr=config.lr_critic, betas=config.betas)
    rng = torch.Generator().manual_seed(config.seed)
    noise_rng = torch.Generator(device=dev).manual_seed(config.seed + 1)
    aug_rng = torch.Generator().manual_seed(config.seed + 2)
    fixed_noise = get_noise(64, Z_DIM, dev, seed=1234)
    step, history, evals, resumes = 0, [], [], []
    carry_path = Path(carry) if carry is not None else None
    ckpt = None
    if ckpt_path.exists():
        ckpt = torch.load(ckpt_path, map_location=dev, weights_only=False)
        if carry_path is not None and carry_path.exists():
            carried_step = _read_carry(carry_path, torch.device("cpu"))["step"]  # a broken copy is named
            if carried_step > ckpt["step"]:
                raise ValueError(
                    f"{carry_path} is at step {carried_step}, ahead of {ckpt_path} (step {ckpt['step']}): "
                    f"move {ckpt_path} aside to resume from the carried copy, or drop --carry to go on from "
                    "the checkpoint (and lose the carried steps when it is next written)"
                )
    elif carry_path is not None and carry_path.exists():
        ckpt = _read_carry(carry_path, dev)
        ckpt["resumes"] = [*ckpt.get("resumes", []), {
            "step": ckpt["step"], "from": str(carry_path),
            "what": "carried checkpoint: float16 weights, Adam moments restarted",
        }]
    if ckpt is not None:
        changes = _recipe_changes(ckpt.get("config", {}), config)
        if changes:
            raise ValueError(
                f"{ckpt_path} was written by a different recipe ({'; '.join(changes)}). Rerun with the "
                "checkpoint's settings to resume (only --steps and the logging, evaluation and snapshot "
                "intervals may change), or choose another --out for a new run."
            )
        gen.load_state_dict(ckpt["gen"])
        critic.load_state_dict(ckpt["critic"])
        ema.load_state_dict(ckpt["ema"])
        if "opt_g" in ckpt:  # a carried checkpoint has none: Adam starts afresh
            opt_g.load_state_dict(ckpt["opt_g"])
            opt_c.load_state_dict(ckpt["opt_c"])
        rng.set_state(ckpt["rng"].cpu())
        noise_rng.set_state(ckpt["noise_rng"].to(noise_rng.get_state().device))
        if ckpt.get("aug_rng") is not None:
            aug_rng.set_state(ckpt["aug_rng"].cpu())
        step, history, evals = ckpt["step"], ckpt["history"], ckpt.get("evals", [])
        resumes = ckpt.get("resumes", [])
        source = ckpt_path if "opt_g" in ckpt else carry_path
        log.info("resumed generator training from %s at step %d", source, step)
    elif config.init_from:
        start = Path(config.init_from)
        try:
            source = torch.load(start, map_location=dev, weights_only=False)
            weights = {part: _float32(source[part]) for part in ("gen", "critic", "ema")}
        except Exception as exc:  # a missing, truncated or foreign file: name it
            raise ValueError(f"--init-from {start} is not a generator checkpoint or carried copy ({exc})") from exc
        gen.load_state_dict(weights["gen"])
        ema.load_state_dict(weights["ema"])
        missing, unexpected = critic.load_state_dict(weights["critic"], strict=False)
        if any(not k.startswith("attributes.") for k in [*missing, *unexpected]):  # only the head may differ
            raise ValueError(f"--init-from {start}: its critic does not match this recipe's "
                             f"(missing {missing}, unexpected {unexpected})")
        log.info("started from the weights of %s (step %s of that run)", start, source.get("step"))

    def checkpoint() -> None:
        state = {
            "gen": gen.state_dict(),
            "critic": critic.state_dict(),
            "ema": ema.state_dict(),
            "opt_g": opt_g.state_dict(),
            "opt_c": opt_c.state_dict(),
            "rng": rng.get_state(),
            "noise_rng": noise_rng.get_state(),
            "aug_rng": aug_rng.get_state(),
            "step": step,
            "history": history,
            "evals": evals,
            "resumes": resumes,
            "config": asdict(config),
        }
        if config.attr_weight:
            state["attr_real_rates"] = seen_real_rates
        _save_atomic(state, ckpt_path)
        if carry_path is not None:
            write_carry(state, carry_path)

    quick = None
    if config.eval_every:
        from .weights import load_classifier

        val = load_celeba(data_root, "val", cache_dir, limit, progress)
        quick = QuickEvaluation(load_classifier(config.eval_classifier, dev), val, dev)

    def quick_evaluate() -> None:
        assert quick is not None
        t0 = time.time()
        record: dict = {"step": step}
        for name, model in (("ema", ema), ("live", gen)):
            record[name] = quick(model, config.eval_n, config.eval_bn_batches)
        record["eval_seconds"] = round(time.time() - t0, 1)
        evals.append(record)
        _write_json(evals, out / "quick_eval.json")
        for name in ("ema", "live"):
            r = record[name]
            log.info(
                "quick eval step %d (%s, %d faces vs val): Male %.3f (real %.3f), mean |rate gap| %.4f, "
                "%d under a third of real, Frechet %.3f",
                step, name, config.eval_n, r["male_rate"], r["male_rate_real"], r["mean_abs_rate_gap"],
                len(r["underdrawn"]), r["frechet_distance"],
            )

    label_rates = torch.from_numpy(np.asarray(train.labels, dtype=np.float64).mean(0)).float().to(dev)
    label_variance = (label_rates * (1 - label_rates)).clamp_min(1e-3)
    seen_real_rates = (ckpt or {}).get("attr_real_rates")
    if seen_real_rates is not None:
        seen_real_rates = seen_real_rates.float().to(dev)
    elif guide is not None:
        # The guide's view of the real rates: its mean of sigmoid(sharpness * logit) over every training face.
        guide_logits = torch.from_numpy(predict_logits(guide, train, dev)).to(dev)
        seen_real_rates = torch.sigmoid(config.attr_sharpness * guide_logits).mean(0)
    else:
        seen_real_rates = label_rates.clone()
    attr_losses: list[float] = []

    def judge(images: torch.Tensor, attributes: bool) -> tuple[torch.Tensor, torch.Tensor | None]:
        """The critic's scores (float32) and, when asked and matching attributes, its attribute logits."""
        if attributes and config.attr_weight and guide is None:
            scores, logits = critic(diff_augment(images, config.diffaug, aug_rng), True)
            return scores.float(), logits.float()
        return critic(diff_augment(images, config.diffaug, aug_rng)).float(), None

    steps_per_epoch = max(1, len(train) // config.batch_size)
    # On a terminal a progress bar; in a log file (no terminal) one line per checkpoint instead.
    bar = tqdm(total=config.steps, initial=step, desc="generator", unit="step", disable=not progress or None)
    started, losses, r1s = time.time() - _seconds_so_far(history), [], []
    interval_start, interval_step, interval_aside = time.time(), step, 0.0  # aside: evaluating, sampling
    gen.train()
    while step < config.steps:
        epoch, b = divmod(step, steps_per_epoch)
        order = _epoch_order(len(train), config.seed, epoch)
        idx = np.sort(order[b * config.batch_size : (b + 1) * config.batch_size])
        real, labels = train.batch(idx, dev)
        real = augment(real, rng)
        noise = get_noise(len(real), Z_DIM, dev, generator=noise_rng)

        autocast = torch.autocast(dev.type, torch.bfloat16, enabled=low)
        do_r1 = config.r1_gamma > 0 and step % config.r1_every == 0
        if do_r1:
            real.requires_grad_(True)
        with autocast:
            fake = gen(noise)
            real_scores, real_attributes = judge(real, attributes=True)
            fake_scores, _ = judge(fake.detach(), attributes=False)
        loss_c = F.relu(1 - real_scores).mean() + F.relu(1 + fake_scores).mean()
        if real_attributes is not None:
            loss_c = loss_c + F.binary_cross_entropy_with_logits(real_attributes, labels)
            seen_real_rates.mul_(0.99).add_(torch.sigmoid(real_attributes.detach()).mean(0), alpha=0.01)
        if do_r1:
            (grad,) = torch.autograd.grad(real_scores.sum(), real, create_graph=True)
            r1 = grad.square().sum((1, 2, 3)).mean()
            loss_c = loss_c + (config.r1_gamma / 2 * config.r1_every) * r1
            r1s.append(r1.item())
        opt_c.zero_grad(set_to_none=True)
        loss_c.backward()
        opt_c.step()

        with autocast:
            fake_scores, fake_attributes = judge(fake, attributes=True)
            if guide is not None:
                fake_attributes = guide(fake).float()
        loss_g = -fake_scores.mean()
        if fake_attributes is not None:
            target = seen_real_rates if config.attr_target == "critic" else label_rates
            gap = torch.sigmoid(config.attr_sharpness * fake_attributes).mean(0) - target
            loss_attr = (gap.square() / label_variance).mean()
            ramp = min(1.0, (step + 1) / max(1, config.attr_warmup))
            loss_g = loss_g + config.attr_weight * ramp * loss_attr
            attr_losses.append(loss_attr.item())
        opt_g.zero_grad(set_to_none=True)
        loss_g.backward()
        opt_g.step()

        decay = min(config.ema_decay, (1 + step) / (10 + step)) if config.ema_warmup else config.ema_decay
        _update_ema(ema, gen, decay)
        step += 1
        losses.append((loss_c.item(), loss_g.item()))
        bar.update(1)
        bar.set_postfix(
            critic=f"{np.mean([c for c, _ in losses[-50:]]):.3f}", gen=f"{np.mean([g for _, g in losses[-50:]]):.3f}"
        )
        if quick is not None and (step % config.eval_every == 0 or step == config.steps):
            t0 = time.time()
            quick_evaluate()
            interval_aside += time.time() - t0
        if step % config.checkpoint_every == 0 or step == config.steps:
            record = {
                "step": step,
                "critic_loss": float(np.mean([c for c, _ in losses])),
                "gen_loss": float(np.mean([g for _, g in losses])),
                "seconds": round(time.time() - started, 1),
                # Where these steps ran: a resume may change threads or device (same recipe, other rounding).
                "device": str(dev),
                "threads": torch.get_num_threads(),
                "precision": "bfloat16" if low else "float32",
            }
            if r1s:
                record["r1"] = float(np.mean(r1s))
            if attr_losses:
                record["attr_gap"] = float(np.mean(attr_losses))  # the matching loss, before its weight
            history.append(record)
            losses, r1s, attr_losses = [], [], []
            checkpoint()
            now = time.time()
            log.info(
                "generator step %d/%d: critic loss %.3f, generator loss %.3f, %.2f s/step of training, "
                "checkpoint written",
                step, config.steps, record["critic_loss"], record["gen_loss"],
                (now - interval_start - interval_aside) / max(1, step - interval_step),
            )
            interval_start, interval_step, interval_aside = now, step, 0.0
        t0 = time.time()
        if step % config.sample_every == 0 or step == config.steps:
            ema.eval()
            with torch.no_grad():
                save_image(ema(fixed_noise) * 0.5 + 0.5, out / f"samples_step{step:06d}.png", nrow=8)
        if config.snapshot_every and step % config.snapshot_every == 0:
            _export_generator(ema, out / "snapshots" / f"pretrained_celeba_step{step:06d}.pth", config)
        interval_aside += time.time() - t0
    bar.close()

    final = _export_generator(ema, out / "pretrained_celeba.pth", config)
    with torch.no_grad():
        save_image(final(fixed_noise.cpu()) * 0.5 + 0.5, out / "samples_final.png", nrow=8)
    report = {
        "config": asdict(config),
        "device": str(dev),
        "torch_threads": torch.get_num_threads(),
        "n_train": len(train),
        "history": history,
        "quick_evals": evals,
        "resumes": resumes,
    }
    _write_json(report, out / "generator_report.json")
    return report
