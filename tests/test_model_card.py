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
