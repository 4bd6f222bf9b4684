import numpy as np
import pytest
import torch

from ganbias_helpers import get_noise
from ganbias_helpers.steering import (
    covariance_matrix,
    frozen,
    fused_copy,
    project_out,
    steer,
    steering_direction,
    steering_step,
    top_covariances,
)
from ganbias_helpers.weights import load_pretrained


@pytest.fixture(scope="module")
def models():
    return load_pretrained("cpu")


def test_a_step_does_not_depend_on_earlier_steps(models):
    """The reference loop never cleared the noise's gradient, so each step added all earlier ones."""
    gen, clf = models
    z0 = get_noise(6, seed=0)
    z1, _ = steering_step(gen, clf, z0, 20, step_size=0.1)
    z2, _ = steering_step(gen, clf, z1, 20, step_size=0.1)
    fresh, _ = steering_step(gen, clf, z1.clone(), 20, step_size=0.1)
    assert torch.allclose(z2, fresh)
    # Each step moves every vector by exactly step_size: no accumulated gradient inflates it.
    assert torch.allclose((z1 - z0).norm(dim=1), torch.full((6,), 0.1), atol=1e-5)
    assert torch.allclose((z2 - z1).norm(dim=1), torch.full((6,), 0.1), atol=1e-5)
    assert z0.grad is None and not z1.requires_grad


def test_steering_computes_no_weight_gradients_and_keeps_no_graph(models):
    gen, clf = models
    gen.requires_grad_(True)  # even if a user left them trainable
    try:
        result = steer(gen, clf, "Male", n_images=4, steps=3, seed=0)
        assert all(p.grad is None for p in [*gen.parameters(), *clf.parameters()])
        assert all(p.requires_grad for p in gen.parameters())  # restored afterwards
    finally:
        gen.requires_grad_(False)
    assert result.classifications.grad_fn is None and not result.classifications.requires_grad
    assert result.snapshots.grad_fn is None
    assert result.classifications.shape == (6, 4, 40)


def test_steering_moves_the_target_both_ways(models):
    gen, clf = models
    result = steer(gen, clf, "Male", n_images=16, steps=8, seed=1)
    changes = result.changes()
    assert np.all(changes[0] == 0)  # the first record is the starting point
    assert changes[7, :, 20].mean() > 0 > changes[15, :, 20].mean()


def test_same_seed_same_result(models):
    gen, clf = models
    a = steer(gen, clf, "Smiling", n_images=4, steps=2, seed=5)
    b = steer(gen, clf, "Smiling", n_images=4, steps=2, seed=5)
    assert torch.equal(a.classifications, b.classifications)


def test_fused_models_give_the_same_outputs(models):
    gen, clf = models
    z = get_noise(8, seed=2)
    with torch.no_grad():
        assert torch.allclose(clf(gen(z)), fused_copy(clf)(fused_copy(gen)(z)), atol=1e-4)
    fast = steer(gen, clf, "Male", n_images=4, steps=3, seed=0, precision="float32")
    plain = steer(gen, clf, "Male", n_images=4, steps=3, seed=0, fuse=False, precision="float32")
    assert torch.allclose(fast.classifications, plain.classifications, atol=1e-3)


def test_holding_an_attribute_removes_its_first_order_change(models):
    gen, clf = models
    z = get_noise(8, seed=3)
    d, _, _ = steering_direction(gen, clf, z, 20, hold_indices=[36])
    zz = z.clone().requires_grad_(True)
    g_hold = torch.autograd.grad(clf(gen(zz))[:, 36].sum(), zz)[0]
    assert torch.allclose((d * g_hold).sum(1), torch.zeros(8), atol=1e-4)
    assert torch.allclose(d.norm(dim=1), torch.ones(8), atol=1e-5)
    with pytest.raises(ValueError, match="cannot also be held"):
        steer(gen, clf, "Male", n_images=2, steps=1, hold=["Male"])


def test_project_out():
    a = torch.tensor([[1.0, 1.0], [2.0, 0.0]])
    b = torch.tensor([[1.0, 0.0], [0.0, 3.0]])
    assert torch.allclose(project_out(a, b), torch.tensor([[0.0, 1.0], [2.0, 0.0]]))


def test_frozen_restores_training_mode():
    from ganbias_helpers import Classifier

    clf = Classifier(n_classes=40).train()
    with frozen(clf):
        assert not clf.training and not any(p.requires_grad for p in clf.parameters())
    assert clf.training and all(p.requires_grad for p in clf.parameters())


def test_top_covariances_on_a_known_covariance():
    cov = np.array([[10, 2, -0.5, -5], [2, 11, 5, 4], [-0.5, 5, 10, 2], [-5, 4, 2, 11]], dtype=float)
    samples = np.random.default_rng(0).multivariate_normal(np.zeros(4), cov, size=60 * 128).reshape(60, 128, 4)
    assert np.all(np.abs(covariance_matrix(samples) - cov) < 0.5)
    idx, vals = top_covariances(samples, 0, top_n=3)
    assert idx.tolist() == [3, 1, 2] and np.all(np.abs(vals - [-5, 2, -0.5]) < 0.5)


def test_working_in_chunks_changes_no_result(models):
    gen, classifier = models
    whole = steer(gen, classifier, "Male", n_images=6, steps=3, seed=5, chunk_size=6, precision="float32")
    chunked = steer(gen, classifier, "Male", n_images=6, steps=3, seed=5, chunk_size=4, precision="float32")
    assert torch.allclose(whole.classifications, chunked.classifications, atol=1e-4)
    assert torch.allclose(whole.snapshots, chunked.snapshots, atol=1e-5)


def test_auto_precision_is_float32_unless_the_cpu_runs_bfloat16_natively(models, monkeypatch):
    import ganbias_helpers.device as device
    import ganbias_helpers.steering as steering

    gen, clf = models
    monkeypatch.setattr(device, "native_bfloat16", lambda device: False)
    assert steering.steering_dtype("auto", "cpu") == torch.float32
    auto = steer(gen, clf, "Male", n_images=4, steps=2, seed=0)
    full = steer(gen, clf, "Male", n_images=4, steps=2, seed=0, precision="float32")
    assert torch.equal(auto.classifications, full.classifications)

    monkeypatch.setattr(device, "native_bfloat16", lambda device: True)
    assert steering.steering_dtype("auto", "cpu") == torch.bfloat16
    low = steer(gen, clf, "Male", n_images=4, steps=2, seed=0)
    # The networks ran in bfloat16 (so the logits moved a little), yet everything recorded is float32.
    assert not torch.equal(low.classifications, full.classifications)
    assert torch.allclose(low.classifications, full.classifications, atol=0.5)
    assert low.classifications.dtype == low.start.dtype == low.snapshots.dtype == torch.float32
    with pytest.raises(ValueError, match="precision should be 'auto', 'float32' or 'bfloat16'"):
        steer(gen, clf, "Male", n_images=2, steps=1, precision="half")
    with pytest.raises(ValueError, match="steps should be at least 1"):
        steer(gen, clf, "Male", n_images=2, steps=0)
    monkeypatch.undo()
    assert device.native_bfloat16("cuda") is False  # GPUs stay float32 under "auto"
    assert steering.steering_dtype("auto", "cuda") == torch.float32


def test_both_directions_start_from_one_look_at_the_starting_noise(models):
    gen, clf = models
    result = steer(gen, clf, "Male", n_images=3, steps=4, seed=2)
    assert torch.equal(result.classifications[0], result.start)
    assert torch.equal(result.classifications[4], result.start)  # the subtractive half's first record
    assert result.snapshot_steps == [0, 3, 0, -3]
