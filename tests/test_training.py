import json

import torch

from ganbias_helpers.training import ClassifierConfig, GeneratorConfig, train_classifier, train_generator
from ganbias_helpers.weights import load_classifier, load_generator


def _ckpt(path):
    return torch.load(path, map_location="cpu", weights_only=False)


def test_classifier_two_steps_then_resume_matches_an_uninterrupted_run(tiny_celeba, tmp_path):
    config = ClassifierConfig(epochs=2, batch_size=4, max_steps=2)
    interrupted, straight = tmp_path / "a", tmp_path / "b"
    train_classifier(tiny_celeba, interrupted, config, "cpu", progress=False)
    assert _ckpt(interrupted / "classifier_checkpoint.pt")["step"] == 2
    train_classifier(
        tiny_celeba, interrupted, ClassifierConfig(epochs=2, batch_size=4, max_steps=5), "cpu", progress=False
    )
    train_classifier(
        tiny_celeba, straight, ClassifierConfig(epochs=2, batch_size=4, max_steps=5), "cpu", progress=False
    )
    a, b = _ckpt(interrupted / "classifier_checkpoint.pt"), _ckpt(straight / "classifier_checkpoint.pt")
    assert a["step"] == b["step"] == 5
    seconds = [record["seconds"] for record in a["history"]]
    assert seconds == sorted(seconds), f"training time must count on across a resume: {seconds}"
    for key in a["model"]:
        assert torch.equal(a["model"][key], b["model"][key]), key
    # Output in the shipped format, loadable by the normal loader, and a JSON report.
    load_classifier(interrupted / "pretrained_classifier.pth", "cpu")
    report = json.loads((interrupted / "classifier_report.json").read_text())
    assert report["n_train"] == 11 and len(report["thresholds"]) == 40


def _gan_config(steps):
    return GeneratorConfig(steps=steps, batch_size=4, checkpoint_every=1, sample_every=2, bn_batches=1)


def test_generator_two_steps_then_resume(tiny_celeba, tmp_path):
    out = tmp_path / "gan"
    train_generator(tiny_celeba, out, _gan_config(2), "cpu", progress=False)
    assert _ckpt(out / "generator_checkpoint.pt")["step"] == 2
    train_generator(tiny_celeba, out, _gan_config(4), "cpu", progress=False)
    straight = tmp_path / "straight"
    train_generator(tiny_celeba, straight, _gan_config(4), "cpu", progress=False)
    a, b = _ckpt(out / "generator_checkpoint.pt"), _ckpt(straight / "generator_checkpoint.pt")
    assert a["step"] == 4 and [h["step"] for h in a["history"]] == [1, 2, 3, 4]
    seconds = [h["seconds"] for h in a["history"]]
    assert seconds == sorted(seconds), f"training time must count on across a resume: {seconds}"
    for key in a["gen"]:
        assert torch.equal(a["gen"][key], b["gen"][key]), key
    gen = load_generator(out / "pretrained_celeba.pth", "cpu")
    assert gen(torch.zeros(2, 64)).shape == (2, 3, 64, 64)
    assert (out / "samples_final.png").exists() and (out / "samples_step000004.png").exists()
    assert json.loads((out / "generator_report.json").read_text())["history"][-1]["step"] == 4


def test_classifier_fine_tune_with_weight_averaging(tiny_celeba, tmp_path):
    first = tmp_path / "first"
    train_classifier(tiny_celeba, first, ClassifierConfig(epochs=1, batch_size=4), "cpu", progress=False)
    config = ClassifierConfig(
        epochs=1, batch_size=4, init_from=str(first / "classifier_checkpoint.pt"), ema_decay=0.5, seed=1
    )
    report = train_classifier(tiny_celeba, tmp_path / "tuned", config, "cpu", progress=False)
    ckpt = _ckpt(tmp_path / "tuned" / "classifier_checkpoint.pt")
    assert ckpt["ema"] is not None and report["config"]["ema_decay"] == 0.5
    shipped = load_classifier(tmp_path / "tuned" / "pretrained_classifier.pth", "cpu")
    # The shipped weights are the average, not the last step's (biases differ only by calibration).
    assert not torch.equal(shipped.state_dict()["classifier.0.0.weight"], ckpt["model"]["classifier.0.0.weight"])
    assert torch.equal(shipped.state_dict()["classifier.0.0.weight"], ckpt["ema"]["classifier.0.0.weight"])
