import json
from dataclasses import asdict, replace

import pytest
import torch

from ganbias_helpers.cli import main
from ganbias_helpers.data import load_celeba
from ganbias_helpers.models import Classifier
from ganbias_helpers.training import (
    ClassifierConfig,
    Critic,
    GeneratorConfig,
    diff_augment,
    minibatch_stddev,
    train_classifier,
    train_generator,
)
from ganbias_helpers.weights import CLASSIFIER_FILE, WEIGHTS_DIR, load_classifier, load_generator


@pytest.fixture(autouse=True)
def _one_thread():
    """One torch thread: these tiny runs are fastest so, above all on a machine busy with other work."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


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
    return GeneratorConfig(steps=steps, batch_size=4, checkpoint_every=1, sample_every=2, bn_batches=1, bn_batch_size=8)


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
    # Each stretch of steps says where it ran, so a run resumed on other threads or a GPU is on record.
    assert {(h["device"], h["threads"]) for h in a["history"]} == {("cpu", torch.get_num_threads())}
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


# --------------------------------------------------------------------------- the generator's newer options


def test_diff_augment_policies_are_seeded_differentiable_and_keep_the_shape():
    x = torch.rand(6, 3, 64, 64) * 2 - 1
    assert diff_augment(x, "", torch.Generator()) is x  # no policy: the original recipe, no random draw
    with pytest.raises(ValueError, match="unknown augmentation"):
        diff_augment(x, "translation,rotate", torch.Generator())
    for policy in ("color", "translation", "cutout", "color,translation,cutout"):
        a = diff_augment(x, policy, torch.Generator().manual_seed(3))
        b = diff_augment(x, policy, torch.Generator().manual_seed(3))
        assert a.shape == x.shape and torch.equal(a, b) and not torch.equal(a, x), policy
    # Translation moves pixels (zero padding), cutout zeroes one square of half the side (clipped at the border).
    shifted = diff_augment(x, "translation", torch.Generator().manual_seed(0))
    values = set(x.flatten().tolist()) | {0.0}
    assert set(shifted.flatten().tolist()) <= values
    cut = diff_augment(x, "cutout", torch.Generator().manual_seed(0))
    zeroed = (cut == 0).all(1).float().mean((1, 2))
    assert ((zeroed > 0) & (zeroed <= 0.25)).all()
    # Gradients reach the images (and so the generator).
    y = x.clone().requires_grad_(True)
    diff_augment(y, "color,translation,cutout", torch.Generator()).square().sum().backward()
    assert y.grad is not None and y.grad.abs().sum() > 0


def test_critic_without_minibatch_stddev_is_the_original_and_with_it_sees_the_batch():
    plain = Critic()
    assert plain.head.weight_orig.shape == (1, 512 * 16)
    assert set(plain.state_dict()) == set(Critic(mbstd_group=0).state_dict())
    critic = Critic(mbstd_group=4)
    assert critic.head.weight_orig.shape == (1, 513 * 16)
    assert critic(torch.randn(6, 3, 64, 64)).shape == (6,)  # 6 is not a multiple of 4: groups of 3
    same = minibatch_stddev(torch.ones(4, 2, 4, 4), 4)
    varied = minibatch_stddev(torch.randn(4, 2, 4, 4), 4)
    assert same.shape == (4, 3, 4, 4) and same[:, 2].max() < 1e-3 < varied[:, 2].min()


def _new_recipe(steps, **changes):
    config = GeneratorConfig(
        steps=steps, batch_size=4, checkpoint_every=1, sample_every=100, bn_batches=1, bn_batch_size=8,
        lr_gen=1e-4, lr_critic=3e-4, betas=(0.0, 0.99), ema_decay=0.9, ema_warmup=True,
        diffaug="color,translation,cutout", mbstd_group=2, r1_gamma=1.0, r1_every=2,
        eval_every=2, eval_n=8, eval_bn_batches=1, snapshot_every=2,
    )
    return replace(config, **changes)


def test_generator_new_recipe_resumes_exactly_with_quick_evaluations_and_snapshots(tiny_celeba, tmp_path):
    out, straight = tmp_path / "gan", tmp_path / "straight"
    train_generator(tiny_celeba, out, _new_recipe(2), "cpu", progress=False)
    train_generator(tiny_celeba, out, _new_recipe(4), "cpu", progress=False)
    report = train_generator(tiny_celeba, straight, _new_recipe(4), "cpu", progress=False)
    a, b = _ckpt(out / "generator_checkpoint.pt"), _ckpt(straight / "generator_checkpoint.pt")
    assert a["step"] == b["step"] == 4
    for part in ("gen", "critic", "ema"):
        for key in a[part]:
            assert torch.equal(a[part][key], b[part][key]), (part, key)
    assert torch.equal(a["aug_rng"], b["aug_rng"])
    # R1 ran on the lazy steps only (steps 0 and 2, recorded at steps 1 and 3).
    assert [("r1" in h) for h in a["history"]] == [True, False, True, False]
    # Quick evaluations at steps 2 and 4, the same numbers either way, kept in the checkpoint, the report and a file.
    assert [e["step"] for e in a["evals"]] == [e["step"] for e in b["evals"]] == [2, 4]
    for ea, eb in zip(a["evals"], b["evals"]):
        for name in ("ema", "live"):
            assert ea[name] == eb[name]
            assert 0 <= ea[name]["male_rate"] <= 1 and ea[name]["frechet_distance"] >= 0
    assert json.loads((out / "quick_eval.json").read_text())[-1]["ema"] == a["evals"][-1]["ema"]
    assert [e["step"] for e in report["quick_evals"]] == [2, 4]
    # Snapshots are the averaged generator in the shipped format.
    for step in (2, 4):
        gen = load_generator(out / "snapshots" / f"pretrained_celeba_step{step:06d}.pth", "cpu")
        assert gen(torch.zeros(1, 64)).shape == (1, 3, 64, 64)
    assert torch.equal(
        torch.load(out / "snapshots" / "pretrained_celeba_step000004.pth")["gen"]["gen.0.0.weight"],
        torch.load(out / "pretrained_celeba.pth")["gen"]["gen.0.0.weight"],
    )


def test_generator_resume_refuses_a_different_recipe(tiny_celeba, tmp_path):
    out = tmp_path / "gan"
    train_generator(tiny_celeba, out, _new_recipe(1, eval_every=0, snapshot_every=0), "cpu", progress=False)
    with pytest.raises(ValueError, match="diffaug='color,translation,cutout' in the checkpoint, 'translation' now"):
        train_generator(tiny_celeba, out, _new_recipe(2, diffaug="translation"), "cpu", progress=False)
    # Stopping point and measuring intervals may change: this one resumes.
    train_generator(tiny_celeba, out, _new_recipe(2, checkpoint_every=2, eval_every=0), "cpu", progress=False)
    assert _ckpt(out / "generator_checkpoint.pt")["step"] == 2


def test_cli_train_generator_sets_threads_and_passes_the_recipe(tiny_celeba, tmp_path, capsys):
    base = ["train", "generator", "--data", str(tiny_celeba), "--batch-size", "4", "--steps", "1",
            "--bn-batches", "1", "--bn-batch-size", "8"]
    torch.set_num_threads(2)  # the fixture puts back what was there before
    assert main([*base, "--out", str(tmp_path / "old"), "--threads", "1"]) == 0
    assert torch.get_num_threads() == 1
    # Without the new options, the first shipped recipe.
    old = json.loads((tmp_path / "old" / "generator_report.json").read_text())["config"]
    assert old == json.loads(json.dumps(asdict(GeneratorConfig(steps=1, batch_size=4, bn_batches=1, bn_batch_size=8))))
    options = ["--diffaug", "translation,cutout", "--mbstd-group", "4", "--r1-gamma", "0.5", "--r1-every", "8",
               "--lr-gen", "1e-4", "--lr-critic", "4e-4", "--betas", "0.0", "0.99", "--ema", "0.99", "--ema-warmup",
               "--eval-every", "1", "--eval-n", "8", "--snapshot-every", "1", "--checkpoint-every", "1"]
    assert main([*base, "--out", str(tmp_path / "new"), *options]) == 0
    new = json.loads((tmp_path / "new" / "generator_report.json").read_text())["config"]
    assert new["diffaug"] == "translation,cutout" and new["mbstd_group"] == 4 and new["r1_every"] == 8
    assert new["betas"] == [0.0, 0.99] and new["lr_critic"] == 4e-4 and new["ema_decay"] == 0.99 and new["ema_warmup"]
    assert (tmp_path / "new" / "quick_eval.json").exists()
    assert (tmp_path / "new" / "snapshots" / "pretrained_celeba_step000001.pth").exists()
    assert "generator written to" in capsys.readouterr().out


def test_generator_run_goes_on_from_its_carried_copy_on_a_fresh_machine(tiny_celeba, tmp_path):
    """A run's compact carried copy (committed to the repository) lets it go on where its checkpoint is lost."""
    first, carry = tmp_path / "first", tmp_path / "state" / "carry.pt"
    config = _new_recipe(2, eval_every=0, snapshot_every=0)
    train_generator(tiny_celeba, first, config, "cpu", progress=False, carry=carry)
    full, carried = _ckpt(first / "generator_checkpoint.pt"), _ckpt(carry)
    assert carried["step"] == full["step"] == 2 and "opt_g" not in carried and "opt_c" not in carried
    for part in ("gen", "critic", "ema"):
        for key, value in full[part].items():
            if value.is_floating_point():
                assert carried[part][key].dtype == torch.float16
                assert torch.allclose(carried[part][key].float(), value, rtol=1e-3, atol=1e-4), (part, key)
            else:
                assert torch.equal(carried[part][key], value), (part, key)
    assert carry.stat().st_size < 0.3 * (first / "generator_checkpoint.pt").stat().st_size

    # Another machine: no checkpoint, only the carried copy. The run goes on from step 2 with the same recipe.
    second = tmp_path / "second"
    report = train_generator(tiny_celeba, second, replace(config, steps=4), "cpu", progress=False, carry=carry)
    assert [h["step"] for h in report["history"]] == [1, 2, 3, 4]
    assert report["resumes"] == [{"step": 2, "from": str(carry),
                                  "what": "carried checkpoint: float16 weights, Adam moments restarted"}]
    assert _ckpt(carry)["step"] == 4 and _ckpt(carry)["resumes"] == report["resumes"]
    # Its random streams went on where they were: the data order and noise match the uninterrupted run's.
    straight = tmp_path / "straight"
    train_generator(tiny_celeba, straight, replace(config, steps=4), "cpu", progress=False)
    went_on, uninterrupted = _ckpt(second / "generator_checkpoint.pt"), _ckpt(straight / "generator_checkpoint.pt")
    for stream in ("rng", "noise_rng", "aug_rng"):
        assert torch.equal(went_on[stream], uninterrupted[stream]), stream

    # A checkpoint behind its carried copy is not silently preferred; another recipe is refused as usual.
    with pytest.raises(ValueError, match="ahead of"):
        train_generator(tiny_celeba, first, replace(config, steps=5), "cpu", progress=False, carry=carry)
    with pytest.raises(ValueError, match="different recipe"):
        train_generator(tiny_celeba, tmp_path / "third", replace(config, steps=5, diffaug="translation"), "cpu",
                        progress=False, carry=carry)


def test_a_broken_carried_copy_is_named_and_left_alone(tiny_celeba, tmp_path):
    carry = tmp_path / "carry.pt"
    carry.write_bytes(b"not a checkpoint")
    with pytest.raises(ValueError, match="carry.pt is not a readable carried generator checkpoint"):
        train_generator(tiny_celeba, tmp_path / "run", _new_recipe(1, eval_every=0, snapshot_every=0), "cpu",
                        progress=False, carry=carry)
    assert carry.read_bytes() == b"not a checkpoint"
    torch.save({"gen": {}}, carry)
    with pytest.raises(ValueError, match="is not a carried generator checkpoint"):
        train_generator(tiny_celeba, tmp_path / "run", _new_recipe(1, eval_every=0, snapshot_every=0), "cpu",
                        progress=False, carry=carry)


def test_generator_trains_in_bfloat16_and_a_run_may_change_precision_on_a_resume(tiny_celeba, tmp_path):
    out = tmp_path / "gan"
    train_generator(tiny_celeba, out, replace(_gan_config(1), precision="bfloat16"), "cpu", progress=False)
    ckpt = _ckpt(out / "generator_checkpoint.pt")
    assert all(v.dtype == torch.float32 for v in ckpt["gen"].values() if v.is_floating_point()), \
        "weights stay float32 under bfloat16 autocast"
    assert all(torch.isfinite(v).all() for v in ckpt["gen"].values() if v.is_floating_point())
    # Like the device and the threads, the precision may change when a run goes on; each stretch says which.
    train_generator(tiny_celeba, out, replace(_gan_config(2), precision="float32"), "cpu", progress=False)
    history = _ckpt(out / "generator_checkpoint.pt")["history"]
    assert [(h["step"], h["precision"]) for h in history] == [(1, "bfloat16"), (2, "float32")]
    load_generator(out / "pretrained_celeba.pth", "cpu")
    with pytest.raises(ValueError, match="precision should be 'auto', 'float32' or 'bfloat16', not 'half'"):
        train_generator(tiny_celeba, tmp_path / "bad", replace(_gan_config(1), precision="half"), "cpu",
                        progress=False)
    assert not (tmp_path / "bad").exists()


def test_critic_attribute_head_gives_logits_beside_the_score_only_when_it_has_one():
    critic = Critic(mbstd_group=4, n_attributes=40)
    score, logits = critic(torch.randn(8, 3, 64, 64), True)
    assert score.shape == (8,) and logits.shape == (8, 40)
    critic.eval()  # no power iteration of the spectral norms between the two calls
    assert torch.equal(critic(torch.zeros(4, 3, 64, 64)), critic(torch.zeros(4, 3, 64, 64), True)[0])
    plain = Critic(mbstd_group=4)
    assert not any(k.startswith("attributes") for k in plain.state_dict()), "the original critic is unchanged"
    with pytest.raises(ValueError, match="no attribute head"):
        plain(torch.zeros(2, 3, 64, 64), True)


def test_attribute_matching_run_starts_from_another_runs_weights_and_logs_its_gap(tiny_celeba, tmp_path):
    first = tmp_path / "first"
    train_generator(tiny_celeba, first, _gan_config(2), "cpu", progress=False, carry=tmp_path / "carried.pt")
    config = replace(_gan_config(2), attr_weight=1.0, attr_warmup=2, init_from=str(tmp_path / "carried.pt"))
    second = tmp_path / "second"
    train_generator(tiny_celeba, second, config, "cpu", progress=False)
    ckpt = _ckpt(second / "generator_checkpoint.pt")
    assert ckpt["step"] == 2 and all(h["attr_gap"] >= 0 for h in ckpt["history"])
    assert ckpt["critic"]["attributes.weight"].shape == (40, 512 * 4 * 4)
    assert ckpt["config"]["init_from"] == str(tmp_path / "carried.pt")
    # It started from the first run's weights: its first step moved them from there, not from a fresh start.
    started = _ckpt(first / "generator_checkpoint.pt")["gen"]["gen.0.0.weight"]
    assert (ckpt["gen"]["gen.0.0.weight"] - started).abs().max() < 0.05
    load_generator(second / "pretrained_celeba.pth", "cpu")
    # Matched to the head's own view of real faces: a running average, kept in the checkpoint and carried on.
    third = tmp_path / "critic-target"
    critic_config = replace(config, attr_target="critic", steps=1)
    train_generator(tiny_celeba, third, critic_config, "cpu", progress=False, carry=tmp_path / "third.pt")
    rates = _ckpt(third / "generator_checkpoint.pt")["attr_real_rates"]
    assert rates.shape == (40,) and bool(((rates >= 0) & (rates <= 1)).all())
    assert torch.equal(_ckpt(tmp_path / "third.pt")["attr_real_rates"], rates)
    with pytest.raises(ValueError, match="attr_target should be 'labels' or 'critic', not 'fake'"):
        train_generator(tiny_celeba, tmp_path / "x", replace(config, attr_target="fake"), "cpu", progress=False)
    with pytest.raises(ValueError, match="--init-from .*nowhere.pt is not a generator checkpoint"):
        train_generator(tiny_celeba, tmp_path / "third", replace(config, init_from=str(tmp_path / "nowhere.pt")),
                        "cpu", progress=False)


def test_attribute_matching_through_a_separate_guide_classifier(tiny_celeba, tmp_path):
    torch.manual_seed(3)
    guide_file = tmp_path / "guide.pth"
    torch.save({"classifier": Classifier(n_classes=40).state_dict()}, guide_file)
    headed = tmp_path / "headed"  # a run whose critic has an attribute head, to start from
    head_config = replace(_gan_config(1), attr_weight=1.0, attr_warmup=1)
    train_generator(tiny_celeba, headed, head_config, "cpu", progress=False)
    config = replace(head_config, steps=2, attr_guide=str(guide_file), attr_target="critic", attr_sharpness=4.0,
                     init_from=str(headed / "generator_checkpoint.pt"))
    out = tmp_path / "guided"
    train_generator(tiny_celeba, out, config, "cpu", progress=False)
    ckpt = _ckpt(out / "generator_checkpoint.pt")
    assert not any(k.startswith("attributes.") for k in ckpt["critic"]), "the guide replaces the critic's head"
    assert ckpt["step"] == 2 and all(h["attr_gap"] >= 0 for h in ckpt["history"])
    # The target: the guide's own mean of sigmoid(4 * logit) over the real training faces, computed once.
    guide = load_classifier(guide_file, "cpu")
    train = load_celeba(tiny_celeba, "train", progress=False)
    with torch.no_grad():
        expected = torch.sigmoid(4.0 * guide(train.batch(slice(0, len(train)), torch.device("cpu"))[0])).mean(0)
    assert torch.allclose(ckpt["attr_real_rates"], expected, atol=1e-5)
    # The classifier that grades the generator cannot also guide it.
    with pytest.raises(ValueError, match="is the shipped classifier"):
        train_generator(tiny_celeba, tmp_path / "x", replace(config, attr_guide=str(WEIGHTS_DIR / CLASSIFIER_FILE)),
                        "cpu", progress=False)
