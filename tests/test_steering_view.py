"""ganbias_helpers.steering_view: the steer-it-yourself view works with and without widgets, and never waits."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

from ganbias_helpers.steering_view import steer_and_show, steer_faces, steering_view  # noqa: E402


def test_steering_moves_the_chosen_attribute_the_chosen_way(tiny_models) -> None:
    gen, classifier = tiny_models
    _, _, start_p, up = steer_faces(gen, classifier, "Smiling", direction=1, steps=3, n_faces=2)
    _, _, _, down = steer_faces(gen, classifier, "Smiling", direction=-1, steps=3, n_faces=2)
    assert up[:, 31].mean() > start_p[:, 31].mean() > down[:, 31].mean()


def test_plain_fallback_draws_one_figure(tiny_models) -> None:
    gen, classifier = tiny_models
    fig = steering_view(gen, classifier, "Young", -1, 2, widgets=False)
    assert fig.axes and len(fig.axes) == 2
    assert steer_and_show(gen, classifier, "Male", 1, 0).axes


def test_widget_view_builds_and_redraws_without_waiting(tiny_models) -> None:
    gen, classifier = tiny_models
    box = steering_view(gen, classifier, "Smiling", 1, 1)
    controls = box.children[0].children
    picture = box.children[1]
    assert [o["output_type"] for o in picture.outputs] == ["display_data"]
    first = picture.outputs[0]["data"]["image/png"]
    controls[2].value = 2  # moving the slider redraws at once, in place
    assert controls[0].value == "Smiling"
    assert len(picture.outputs) == 1 and picture.outputs[0]["data"]["image/png"] != first
