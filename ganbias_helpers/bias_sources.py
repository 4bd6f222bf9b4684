"""Small data sets and a tiny trainer for the "sources of bias" notebook.

Everything here is seeded and runs in a second or two on a CPU:

* :func:`make_blobs` draws two overlapping Gaussian classes in any proportion,
  to show that an imbalanced training set makes a model favour the majority;
* :func:`make_two_scale_data` draws two informative features measured in very
  different units, to show that feature scale changes what a model leans on;
* :func:`rare_attribute_task` builds a real rare-event task from CelebA's test
  labels (predict a rare attribute such as ``Bald`` from the other 39 labels);
* :func:`train_linear` trains a linear classifier with optional class weights in
  the loss or resampling of the training set, the two ways to move a model's
  bias on purpose;
* :func:`augment_class` adds jittered copies of a rare class (data augmentation);
* :func:`make_two_sided_minority` and :func:`train_mlp` show under-fitting: a
  minority class no line can separate, and a small network with optional
  weight decay.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset, WeightedRandomSampler

from .attributes import ATTRIBUTE_NAMES, attribute_index
from .fairness_data import load_test_predictions


@contextmanager
def _one_thread() -> Iterator[None]:
    """Run PyTorch on one CPU thread for a while: tiny models train faster without thread hand-offs."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def make_blobs(
    n_per_class: Sequence[int],
    separation: float = 2.0,
    n_features: int = 2,
    seed: int = 0,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Draw Gaussian classes with unit variance whose means lie ``separation`` apart.

    Class ``c`` is centred at ``c * separation / sqrt(n_features)`` on every axis,
    so neighbouring classes overlap the same amount whatever ``n_features`` is.

    Args:
        n_per_class: How many points of each class, e.g. ``[900, 100]``.
        separation: Distance between neighbouring class means.
        n_features: Number of features.
        seed: Seed for the draw.

    Returns:
        ``(x, y)``: float32 features ``(n, n_features)`` and int64 labels ``(n,)``,
        shuffled.
    """
    rng = np.random.default_rng(seed)
    xs, ys = [], []
    for c, n in enumerate(n_per_class):
        centre = c * separation / np.sqrt(n_features)
        xs.append(rng.normal(centre, 1.0, size=(n, n_features)))
        ys.append(np.full(n, c))
    x, y = np.concatenate(xs), np.concatenate(ys)
    order = rng.permutation(len(y))
    return torch.tensor(x[order], dtype=torch.float32), torch.tensor(y[order], dtype=torch.int64)


def make_two_scale_data(
    n: int = 2000,
    big_scale: float = 1000.0,
    seed: int = 0,
    separations: tuple[float, float] = (0.5, 3.0),
) -> tuple[torch.Tensor, torch.Tensor]:
    """Two informative features in very different units, for a balanced two-class problem.

    By default feature 0 is a weak clue measured in big units (think "income in dollars"):
    its class means differ by half a standard deviation, and its values are
    about ``big_scale`` times larger than feature 1's. Feature 1 is a strong clue
    in small units (think "a score between -3 and 3"): its class means differ by
    three standard deviations. ``separations=(1.5, 1.5)`` makes the two features
    equally informative, so that only their units differ.

    Args:
        n: Number of points (classes drawn with equal chance).
        big_scale: How many times larger feature 0's units are.
        seed: Seed for the draw.
        separations: Distance between the class means of feature 0 and of feature 1,
            in standard deviations of that feature.

    Returns:
        ``(x, y)``: float32 features ``(n, 2)`` and int64 labels ``(n,)``.
    """
    first, second = (float(s) for s in separations)
    if first < 0 or second < 0 or big_scale <= 0:
        raise ValueError(f"separations must not be negative and big_scale must be positive; got "
                         f"separations={separations}, big_scale={big_scale}")
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, size=n)
    big = (rng.normal(0.0, 1.0, size=n) + first * y) * big_scale
    small = rng.normal(0.0, 1.0, size=n) + second * y - second / 2
    x = np.stack([big, small], axis=1)
    return torch.tensor(x, dtype=torch.float32), torch.tensor(y, dtype=torch.int64)


def standardize(train: torch.Tensor, *others: torch.Tensor) -> tuple[torch.Tensor, ...]:
    """Rescale every feature to mean 0 and standard deviation 1, using the training set's statistics.

    Returns:
        The rescaled ``train`` followed by each of ``others`` rescaled the same way
        (float32 throughout).
    """
    mean = train.mean(dim=0, keepdim=True)
    std = train.std(dim=0, keepdim=True).clamp_min(1e-8)
    return tuple(((t - mean) / std).float() for t in (train, *others))


@dataclass
class RareTask:
    """A rare-event task built from CelebA's test labels.

    Attributes:
        x_train, x_test: float32 features ``(n, 39)``: the other attributes' 0/1 labels.
        y_train, y_test: int64 labels ``(n,)``: 1 where the rare attribute is present.
        feature_names: The 39 attribute names used as features.
        target: The rare attribute's name.
    """

    x_train: torch.Tensor
    y_train: torch.Tensor
    x_test: torch.Tensor
    y_test: torch.Tensor
    feature_names: list[str]
    target: str


def rare_attribute_task(target: str = "Bald", test_fraction: float = 0.3, seed: int = 0) -> RareTask:
    """Predict a rare CelebA attribute from the other 39 labels of the same face.

    Uses the labels shipped with the package (CelebA's test split, see
    :func:`ganbias_helpers.fairness_data.load_test_predictions`), split at random
    into a training and a test part; the rare class keeps the same share in both.
    """
    labels, _ = load_test_predictions()
    t = attribute_index(target)
    others = [i for i in range(labels.shape[1]) if i != t]
    x, y = labels[:, others].astype(np.float32), labels[:, t].astype(np.int64)
    rng = np.random.default_rng(seed)
    test_rows: list[np.ndarray] = []
    for c in (0, 1):
        rows = rng.permutation(np.flatnonzero(y == c))
        test_rows.append(rows[: int(round(test_fraction * len(rows)))])
    is_test = np.zeros(len(y), dtype=bool)
    is_test[np.concatenate(test_rows)] = True
    as_t = torch.from_numpy
    return RareTask(
        as_t(x[~is_test]),
        as_t(y[~is_test]),
        as_t(x[is_test]),
        as_t(y[is_test]),
        [ATTRIBUTE_NAMES[i] for i in others],
        ATTRIBUTE_NAMES[t],
    )


def train_linear(
    x: torch.Tensor,
    y: torch.Tensor,
    n_classes: int = 2,
    epochs: int = 30,
    lr: float = 0.05,
    batch_size: int = 64,
    class_weights: torch.Tensor | None = None,
    sample_weights: torch.Tensor | None = None,
    optimizer: str = "sgd",
    seed: int = 0,
) -> nn.Linear:
    """Train a linear classifier (logistic regression) with cross-entropy.

    Args:
        x: float32 features ``(n, d)``.
        y: int64 class labels ``(n,)``.
        n_classes: Number of classes.
        epochs: Passes over the training set.
        lr: Learning rate.
        batch_size: Mini-batch size.
        class_weights: Optional weight per class for the loss (``CrossEntropyLoss(weight=...)``):
            mistakes on a class with a bigger weight cost more.
        sample_weights: Optional weight per training example: batches are drawn with
            replacement in proportion to it (``WeightedRandomSampler``), i.e. resampling.
        optimizer: ``"sgd"`` (plain gradient descent) or ``"adam"``.
        seed: Seed for the initial weights and the batch order.

    Returns:
        The trained ``nn.Linear`` (its outputs are class logits).
    """
    torch.manual_seed(seed)
    model = nn.Linear(x.shape[1], n_classes)
    data = TensorDataset(x.float(), y.long())
    rng = torch.Generator().manual_seed(seed)
    if sample_weights is not None:
        sampler = WeightedRandomSampler(sample_weights.double(), num_samples=len(y), replacement=True, generator=rng)
        loader = DataLoader(data, batch_size=batch_size, sampler=sampler)
    else:
        loader = DataLoader(data, batch_size=batch_size, shuffle=True, generator=rng)
    weight = None if class_weights is None else class_weights.float()
    loss_fn = nn.CrossEntropyLoss(weight=weight)
    if optimizer == "sgd":
        opt: torch.optim.Optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    elif optimizer == "adam":
        opt = torch.optim.Adam(model.parameters(), lr=lr)
    else:
        raise ValueError(f"optimizer must be 'sgd' or 'adam', not {optimizer!r}")
    with _one_thread():
        for _ in range(epochs):
            for xb, yb in loader:
                opt.zero_grad(set_to_none=True)
                loss_fn(model(xb), yb).backward()
                opt.step()
    return model.eval()


@torch.no_grad()
def predict(model: nn.Module, x: torch.Tensor) -> np.ndarray:
    """The class with the highest logit for each row of ``x``, as an int64 numpy array."""
    return model(x.float()).argmax(dim=1).cpu().numpy()


def feature_reliance(model: nn.Linear, x: torch.Tensor) -> np.ndarray:
    """How much a trained two-class linear model leans on each feature, as shares summing to 1.

    A feature's pull on the decision is the size of its weight (for class 1 minus
    class 0) times how much the feature varies in ``x``; the shares compare these.
    """
    w = (model.weight[1] - model.weight[0]).detach().abs()
    pull = (w * x.float().std(dim=0)).numpy()
    total = pull.sum()
    return pull / total if total > 0 else pull


def augment_class(
    x: torch.Tensor,
    y: torch.Tensor,
    cls: int,
    copies: int,
    noise: float = 0.3,
    seed: int = 0,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Data augmentation for tabular points: add ``copies`` jittered copies of every example of class ``cls``.

    Each copy is the original point plus Gaussian noise of standard deviation ``noise``, the
    tabular stand-in for flipping, cropping or recolouring an image: new, slightly different
    examples of the rare class, rather than the same ones repeated.

    Returns:
        ``(x, y)`` with the originals first and the copies after them.
    """
    rng = torch.Generator().manual_seed(seed)
    rare = x[y == cls]
    extra = rare.repeat(copies, 1) + noise * torch.randn(len(rare) * copies, x.shape[1], generator=rng)
    return torch.cat([x, extra.float()]), torch.cat([y, torch.full((len(extra),), cls, dtype=y.dtype)])


def make_two_sided_minority(
    n_majority: int = 900, n_minority: int = 100, seed: int = 0
) -> tuple[torch.Tensor, torch.Tensor]:
    """A minority class that no straight line can pick out: half of it on each side of the majority.

    Class 0 is centred at the origin; class 1 is split between two clusters at ``(-3, 0)`` and
    ``(3, 0)``. A linear model can only cut the plane in two, so it cannot separate class 1
    from class 0; a small non-linear model can.

    Returns:
        ``(x, y)``: float32 features ``(n, 2)`` and int64 labels ``(n,)``, shuffled.
    """
    rng = np.random.default_rng(seed)
    major = rng.normal(0.0, 1.0, size=(n_majority, 2))
    side = np.where(rng.random(n_minority) < 0.5, -3.0, 3.0)
    minor = rng.normal(0.0, 0.7, size=(n_minority, 2)) + np.stack([side, np.zeros(n_minority)], axis=1)
    x = np.concatenate([major, minor])
    y = np.concatenate([np.zeros(n_majority), np.ones(n_minority)])
    order = rng.permutation(len(y))
    return torch.tensor(x[order], dtype=torch.float32), torch.tensor(y[order], dtype=torch.int64)


def train_mlp(
    x: torch.Tensor,
    y: torch.Tensor,
    hidden: int = 16,
    n_classes: int = 2,
    epochs: int = 60,
    lr: float = 0.01,
    weight_decay: float = 0.0,
    batch_size: int = 64,
    seed: int = 0,
) -> nn.Module:
    """Train a small two-layer network (one hidden ReLU layer) with Adam and optional weight decay.

    ``weight_decay`` is L2 regularisation: it pulls every weight toward 0 at each step. A large
    value makes the network too simple to fit a rare class, the same under-fitting a model that
    is too small shows.

    Returns:
        The trained network in evaluation mode (its outputs are class logits).
    """
    torch.manual_seed(seed)
    model = nn.Sequential(nn.Linear(x.shape[1], hidden), nn.ReLU(), nn.Linear(hidden, n_classes))
    x, y = x.float(), y.long()
    rng = torch.Generator().manual_seed(seed)
    opt = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)
    loss_fn = nn.CrossEntropyLoss()
    with _one_thread():
        for _ in range(epochs):  # mini-batches by hand: much faster than a DataLoader for tiny tensors
            for batch in torch.randperm(len(y), generator=rng).split(batch_size):
                opt.zero_grad(set_to_none=True)
                loss_fn(model(x[batch]), y[batch]).backward()
                opt.step()
    return model.eval()
