import json

from ganbias_helpers.cli import main
from ganbias_helpers.demo import run_demo


def test_demo_at_tiny_settings_writes_figures_and_results(tmp_path, capsys):
    summary = run_demo(n_images=6, steps=3, seed=0, device="cpu", out_dir=str(tmp_path), progress=False)
    out = capsys.readouterr().out
    assert "Top 10 attributes that covary with Male" in out
    assert len(summary["top"]) == 10 and all(t["index"] != 20 for t in summary["top"])
    for name in ("steering_path.png", "feature_changes.png", "top_covariances.png", "covariance_heatmap.png"):
        assert (tmp_path / name).stat().st_size > 1000
    saved = json.loads((tmp_path / "results.json").read_text())
    assert saved["target"] == "Male" and saved["n_images"] == 6
    def table(printed: str) -> str:
        return printed.split("Top 10", 1)[1].split("\n\n", 1)[0]

    bare = run_demo(n_images=6, steps=3, seed=0, device="cpu", out_dir=str(tmp_path / "bare"), progress=False,
                    figures=False)  # what scripts/readme_demo_table.py runs: the same table, no figures
    assert table(capsys.readouterr().out) == table(out) and "covariance" in table(out)
    assert bare["top"] == summary["top"] and sorted(p.name for p in (tmp_path / "bare").iterdir()) == ["results.json"]


def test_cli_demo_and_a_clear_error_for_an_unknown_target(tmp_path, capsys):
    assert (
        main(
            [
                "demo",
                "--images",
                "4",
                "--steps",
                "2",
                "--target",
                "Smiling",
                "--top",
                "5",
                "--device",
                "cpu",
                "--out",
                str(tmp_path),
            ]
        )
        == 0
    )
    assert "Top 5 attributes that covary with Smiling" in capsys.readouterr().out
    assert main(["demo", "--target", "Moustache", "--out", str(tmp_path)]) == 2
    assert "unknown CelebA attribute 'Moustache'" in capsys.readouterr().err


def test_the_feature_changes_figure_is_the_same_every_run() -> None:
    """Its intervals are bootstrapped: with a fixed seed, the demo and notebook 2 draw the same figure each run."""
    import io

    import numpy as np

    from ganbias_helpers import plots

    changes = np.cumsum(np.random.default_rng(0).normal(size=(6, 20, 40)), axis=0)

    def drawn() -> bytes:
        buffer = io.BytesIO()
        plots.plot_feature_changes(changes, "Male", ["Smiling", "Bald"]).savefig(buffer, format="png")
        return buffer.getvalue()

    assert drawn() == drawn()
