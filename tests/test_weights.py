import shutil

import pytest
import torch

from ganbias_helpers import Classifier, Generator
from ganbias_helpers import weights as W
from ganbias_helpers.weights import WeightsError, load_classifier, load_generator, load_pretrained


def test_shipped_weights_load_frozen_in_eval_mode_on_cpu():
    gen, clf = load_pretrained("cpu")
    assert isinstance(gen, Generator) and isinstance(clf, Classifier)
    for model in (gen, clf):
        assert not model.training
        assert not any(p.requires_grad for p in model.parameters())
        assert next(model.parameters()).device.type == "cpu"


def test_shipped_checksums_match():
    sums = W.shipped_checksums()
    assert set(sums) >= {W.GENERATOR_FILE, W.CLASSIFIER_FILE}
    for name, digest in sums.items():
        assert W.sha256_file(W.WEIGHTS_DIR / name) == digest


def test_default_device_is_cpu_without_a_gpu():
    gen, _ = load_pretrained()
    expected = "cuda" if torch.cuda.is_available() else "cpu"
    assert next(gen.parameters()).device.type == expected


@pytest.fixture
def fake_weights_dir(tmp_path, monkeypatch):
    folder = tmp_path / "weights"
    shutil.copytree(W.WEIGHTS_DIR, folder)
    monkeypatch.setattr(W, "WEIGHTS_DIR", folder)
    return folder


def test_missing_file_names_the_file(fake_weights_dir):
    (fake_weights_dir / W.GENERATOR_FILE).unlink()
    with pytest.raises(WeightsError, match=r"not found: .*pretrained_celeba\.pth.*reinstall"):
        load_pretrained("cpu")


def test_truncated_file_fails_its_checksum(fake_weights_dir):
    path = fake_weights_dir / W.CLASSIFIER_FILE
    path.write_bytes(path.read_bytes()[:1000])
    with pytest.raises(WeightsError, match=r"pretrained_classifier\.pth is damaged.*sha256"):
        load_pretrained("cpu")


def test_foreign_file_is_reported(tmp_path):
    bad = tmp_path / "notes.pth"
    bad.write_text("hello")
    with pytest.raises(WeightsError, match="not a readable PyTorch weights file"):
        load_generator(bad, "cpu")
    # The classifier's file given as the generator's.
    with pytest.raises(WeightsError, match=r"under the key 'gen'.*found \['classifier'\]"):
        load_generator(W.WEIGHTS_DIR / W.CLASSIFIER_FILE, "cpu")
    # A bare classifier state dict given as the generator's: a different model.
    torch.save(Classifier(n_classes=40).state_dict(), tmp_path / "bare_classifier.pth")
    with pytest.raises(WeightsError, match="different model than Generator"):
        load_generator(tmp_path / "bare_classifier.pth", "cpu")
    torch.save({"something": 1}, tmp_path / "other.pth")
    with pytest.raises(WeightsError, match="under the key 'gen'"):
        load_generator(tmp_path / "other.pth", "cpu")


def test_user_weights_with_and_without_checksum(tmp_path):
    gen = Generator(64)
    path = tmp_path / "mine.pth"
    torch.save({"gen": gen.state_dict()}, path)
    loaded = load_generator(path, "cpu")
    assert torch.equal(loaded.state_dict()["gen.0.0.weight"], gen.state_dict()["gen.0.0.weight"])
    load_generator(path, "cpu", sha256=W.sha256_file(path))
    with pytest.raises(WeightsError, match="sha256"):
        load_generator(path, "cpu", sha256="0" * 64)
    # A bare state dict (no {"classifier": ...} wrapper) is accepted too.
    clf = Classifier(n_classes=40)
    torch.save(clf.state_dict(), tmp_path / "bare.pth")
    load_classifier(tmp_path / "bare.pth", "cpu")


def test_cuda_requested_without_gpu_is_clear():
    if torch.cuda.is_available():
        pytest.skip("a GPU is present")
    with pytest.raises(RuntimeError, match="no CUDA GPU"):
        load_pretrained("cuda")
