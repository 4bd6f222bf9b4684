"""The model card's writer: its recipe text and training time come from the training reports."""

import importlib.util
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "write_model_card.py"
spec = importlib.util.spec_from_file_location("write_model_card", SCRIPT)
write_model_card = importlib.util.module_from_spec(spec)
spec.loader.exec_module(write_model_card)


def _report(seconds: list[float], **config) -> dict:
    config = {"epochs": len(seconds), "lr": 0.001, "weight_decay": 0.0001, "batch_size": 128, "max_shift": 4,
              "seed": 2, "init_from": None, "ema_decay": None, **config}
    history = [{"epoch": i + 1, "seconds": s, "val_mean_accuracy": 0.9} for i, s in enumerate(seconds)]
    return {"config": config, "history": history, "val_before_calibration": 0.9, "val_after_calibration": 0.91}


def test_training_time_adds_up_the_parts_of_a_resumed_run():
    assert write_model_card.training_seconds(_report([100, 200, 300])["history"]) == 300
    # An older report whose clock restarted at a resume after epoch 2: 200 s, then 150 s more.
    assert write_model_card.training_seconds(_report([100, 200, 60, 150])["history"]) == 350


def test_one_run_recipe_names_its_command_and_time(tmp_path):
    path = str(tmp_path / "runs" / "classifier_long" / "classifier_report.json")
    report = _report([600, 1200, 300, 1800], ema_decay=0.999)
    recipe = write_model_card.classifier_recipe(path, report, path, report)
    assert "in one run" in recipe["clf_recipe"] and "decay 0.999" in recipe["clf_recipe"]
    assert "About 50 minutes of training" in recipe["clf_recipe"].replace("\n", " ")
    assert recipe["clf_commands"].count("ganbias train classifier") == 1
    assert "--epochs 4" in recipe["clf_commands"] and "--ema 0.999" in recipe["clf_commands"]


def _generator_report(steps: int, **config) -> dict:
    from dataclasses import asdict

    from ganbias_helpers.training import GeneratorConfig

    history = [{"step": s, "seconds": 3.5 * s} for s in range(100, steps + 1, 100)]
    return {"config": {**asdict(GeneratorConfig()), **config}, "device": "cpu", "history": history}


def test_generator_recipe_of_the_first_shipped_run_is_its_command():
    recipe = write_model_card.generator_recipe("runs/generator/generator_report.json", _generator_report(4300))
    assert recipe["gen_command"] == "ganbias train generator --data CELEBA_DIR --out runs/generator --steps 4300"
    text = recipe["gen_recipe"].replace("\n", " ")
    assert "Adam (lr 0.0002, betas 0.5/0.999) for both, batch 64, 4300 steps" in text
    assert "augmentation" not in text and "R1" not in text and "(decay 0.999)" in text
    assert recipe["gen_dir"] == "runs/generator"


def test_generator_recipe_names_every_option_of_a_newer_run():
    report = _generator_report(20000, diffaug="translation,cutout", mbstd_group=4, ema_warmup=True,
                               lr_critic=4e-4, r1_gamma=0.5, checkpoint_every=50, eval_every=500)
    report["torch_threads"] = 1
    recipe = write_model_card.generator_recipe("runs/generator_v2/generator_report.json", report)
    command = recipe["gen_command"].replace(" \\\n    ", " ")
    assert command == (
        "ganbias train generator --data CELEBA_DIR --out runs/generator_v2 --steps 20000 --threads 1 "
        "--lr-critic 0.0004 --ema-warmup --diffaug translation,cutout --mbstd-group 4 --r1-gamma 0.5 "
        "--checkpoint-every 50 --eval-every 500"
    )
    assert all(len(line) <= 100 for line in recipe["gen_command"].splitlines())
    text = recipe["gen_recipe"].replace("\n", " ")
    for part in ("minibatch-standard-deviation channel (groups of 4)", "R1 penalty on real faces (gamma 0.5",
                 "0.0002 for the generator, 0.0004 for the critic", "(translation, cutout)",
                 "min(0.999, (1+t)/(10+t))", "About 19.4 hours of training (cpu, 1 thread)"):
        assert part in text, part


def test_the_card_says_where_each_stretch_of_a_resumed_run_ran():
    report = _generator_report(600)
    report["torch_threads"] = 2
    for record in report["history"]:
        record["threads"] = 1 if record["step"] <= 200 else 2
    text = write_model_card.generator_recipe("runs/g/generator_report.json", report)["gen_recipe"].replace("\n", " ")
    assert "(cpu, 1 thread to step 200; then cpu, 2 threads)" in text
    for record in report["history"]:
        record["threads"] = 1
    assert write_model_card.where_it_ran(report) == "cpu, 1 thread"  # the steps' own, not the exporting process's
    del report["history"][0]["threads"], report["history"][1]["threads"]  # records from before threads were kept
    assert write_model_card.where_it_ran(report) == "cpu, threads not recorded to step 200; then cpu, 1 thread"


def test_an_attribute_matching_run_names_its_guide_and_where_it_started():
    report = _generator_report(3000, attr_weight=50.0, attr_warmup=250, attr_target="critic",
                               attr_guide="training_state/guides/guide_v6.pth", attr_sharpness=5.0,
                               init_from="runs/generator_v5/generator_checkpoint.pt")
    recipe = write_model_card.generator_recipe("runs/generator_v6/generator_report.json", report)
    command = recipe["gen_command"].replace(" \\\n    ", " ")
    for part in ("--attr-weight 50.0", "--attr-warmup 250", "--attr-target critic",
                 "--attr-guide training_state/guides/guide_v6.pth", "--attr-sharpness 5.0",
                 "--init-from runs/generator_v5/generator_checkpoint.pt"):
        assert part in command, part
    text = recipe["gen_recipe"].replace("\n", " ")
    assert "frozen guide classifier (`training_state/guides/guide_v6.pth`)" in text
    assert "3000 steps in this run" in text  # a run that started from another's weights says so
    # Without matching, its other settings are not part of the command.
    plain = write_model_card.generator_recipe("runs/g/generator_report.json", _generator_report(100, attr_warmup=5))
    assert "--attr" not in plain["gen_command"] and "attribute-matching" not in plain["gen_recipe"]


def test_keeping_the_classifier_carries_its_recipe_over_from_the_card():
    card = (write_model_card.WEIGHTS_DIR / "MODEL_CARD.md").read_text()
    kept = write_model_card.classifier_from_card(card)
    assert kept["clf_recipe"].startswith("Classifier, ") and "\n\n" not in kept["clf_recipe"]
    assert kept["clf_recipe"] in card and kept["clf_commands"].startswith("ganbias train classifier")
    assert kept["n_train"] > kept["n_val"] > 0 and kept["report_args"] == "--keep-classifier"
    try:
        write_model_card.classifier_from_card("# a card with no recipe\n")
    except SystemExit as error:
        assert "no classifier recipe" in str(error)
    else:
        raise AssertionError("a card without a classifier recipe was accepted")
