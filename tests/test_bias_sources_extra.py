"""ganbias_helpers.bias_sources: augmentation, the two-sided minority and the small network of notebook 5."""

from __future__ import annotations

import torch

from ganbias_helpers.bias_sources import (
    augment_class,
    make_blobs,
    make_two_scale_data,
    make_two_sided_minority,
    predict,
    train_linear,
    train_mlp,
)
from ganbias_helpers.reference import per_class_recall


def test_augment_class_adds_jittered_copies_of_one_class() -> None:
    x, y = make_blobs([90, 10], seed=0)
    xa, ya = augment_class(x, y, cls=1, copies=3, noise=0.1, seed=0)
    assert len(ya) == 100 + 30 and int((ya == 1).sum()) == 40
    assert torch.equal(xa[:100], x) and xa.dtype == torch.float32
    extra = xa[100:]
    assert not any(torch.equal(row, orig) for row in extra[:5] for orig in x[y == 1])  # jittered, not repeated
    again, _ = augment_class(x, y, cls=1, copies=3, noise=0.1, seed=0)
    assert torch.equal(xa, again)


def test_augmentation_raises_minority_recall() -> None:
    x, y = make_blobs([950, 50], seed=0)
    x_test, y_test = make_blobs([500, 500], seed=1)
    plain = per_class_recall(y_test, predict(train_linear(x, y, epochs=10, seed=0), x_test), 2)
    xa, ya = augment_class(x, y, cls=1, copies=18, noise=0.3, seed=0)
    augmented = per_class_recall(y_test, predict(train_linear(xa, ya, epochs=10, seed=0), x_test), 2)
    assert augmented[1] > plain[1] + 0.2


def test_two_sided_minority_defeats_a_line_but_not_a_network() -> None:
    x, y = make_two_sided_minority(900, 100, seed=0)
    assert x.shape == (1000, 2) and int(y.sum()) == 100
    x_test, y_test = make_two_sided_minority(500, 500, seed=1)
    linear = per_class_recall(y_test, predict(train_linear(x, y, epochs=15, seed=0), x_test), 2)
    network = per_class_recall(y_test, predict(train_mlp(x, y, hidden=16, epochs=40, seed=0), x_test), 2)
    decayed = per_class_recall(y_test, predict(train_mlp(x, y, hidden=16, epochs=40, weight_decay=0.1, seed=0),
                                               x_test), 2)
    assert linear[1] < 0.1 and decayed[1] < 0.1
    assert network[1] > 0.5


def test_adam_removes_most_of_the_feature_scale_effect() -> None:
    from ganbias_helpers.bias_sources import feature_reliance

    x, y = make_two_scale_data(2000, seed=0)
    sgd = feature_reliance(train_linear(x, y, epochs=20, lr=0.01, optimizer="sgd", seed=0), x)
    adam = feature_reliance(train_linear(x, y, epochs=20, lr=0.01, optimizer="adam", seed=0), x)
    assert sgd[0] > 0.9 and adam[0] < 0.3
