"""Accessibility of the course's figures and pages (WCAG 2.1 AA as the reference).

* fast: every figure helper tells its series apart by more than colour (markers, line styles, hatches,
  printed values), and :func:`ganbias_helpers.plots.figure_bundle` gives a figure a text description that
  reaches JupyterLab and Colab (an HTML ``<img>`` with ``alt`` text, preferred over the PNG by both) and
  text-only front ends (``text/plain``); the solutions show every figure through it;
* slow: the executed solutions (the session's notebook runs, shared with tests/test_notebooks.py; one whose
  run failed is executed here at the small experiment size, ``GANBIAS_EXPERIMENT_SIZE=8,2``) are rendered
  to HTML by nbconvert and checked in Debian's chromium with axe-core: no serious or critical violation of
  WCAG 2.0/2.1 A and AA rules in the course's content, and no image without a real description (nbconvert
  writes "No description has been provided for this image" where there is none).

Excluded from axe's check, and why: the code cells' syntax highlighting (``.highlight``) and the
``In [n]``/``Out [n]`` prompts. Their colours are nbconvert's theme (Pygments), not the course's content.

axe-core 4.14.1 (MPL-2.0) is shipped in ``tests/a11y/axe.min.js`` with its licence header and licence files,
so the test needs no network.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
from pathlib import Path

import matplotlib
import nbformat
import numpy as np
import pytest

matplotlib.use("Agg")

from ganbias_helpers import plots  # noqa: E402
from ganbias_helpers.attributes import attribute_index  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
SOLUTIONS = ROOT / "solutions" / "ganbias"
AXE = Path(__file__).with_name("a11y") / "axe.min.js"
CHROMIUM = Path(os.environ.get("GANBIAS_CHROMIUM", "/usr/bin/chromium"))
NO_DESCRIPTION = "No description has been provided for this image"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
THEME = [[".highlight"], [".jp-InputPrompt"], [".jp-OutputPrompt"]]  # nbconvert's theme, not course content


# --------------------------------------------------------------------------- the figure helpers (fast)


def test_figure_bundle_carries_the_description_everywhere() -> None:
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots()
    ax.plot([0, 1], [0, 1])
    data, metadata = plots.figure_bundle(fig, 'A "line" <rising>\n from 0 to 1.')
    text = 'A "line" <rising> from 0 to 1.'
    assert f'alt="{text.replace(chr(34), "&quot;").replace("<", "&lt;").replace(">", "&gt;")}"' in data["text/html"]
    assert data["text/html"].startswith('<img src="data:image/png;base64,')
    assert data["text/plain"] == f"Figure: {text}" and metadata == {"image/png": {"alt": text}}
    assert data["image/png"] and not plt.fignum_exists(fig.number)  # closed: not drawn a second time
    with pytest.raises(ValueError, match="text description"):
        plots.figure_bundle(plt.figure(), "  ")


def test_regression_lines_differ_in_marker_and_line_style_and_are_labelled() -> None:
    rng = np.random.default_rng(0)
    changes = np.cumsum(rng.normal(size=(6, 20, 40)), axis=0)
    others = ["Smiling", "Bald", "Young", "Heavy_Makeup", "Attractive"]
    fig = plots.plot_feature_changes(changes, "Male", others)
    ax = fig.axes[0]
    fitted = [line for line in ax.get_lines() if len(line.get_xdata()) > 2]
    assert len(fitted) == len(others) and len({str(line.get_linestyle()) for line in fitted}) >= 4
    markers = {c.get_paths()[0].vertices.tobytes() for c in ax.collections if c.get_offsets().shape[0] > 0}
    assert len(markers) >= len(others)
    assert {t.get_text() for t in ax.texts} == set(others)  # direct labels
    assert all(c.lower() in {p.lower() for p in plots.OKABE_ITO}
               for c in [matplotlib.colors.to_hex(line.get_color()) for line in fitted])
    description = plots.describe_feature_changes(changes, "Male", others)
    assert all(name in description for name in others) and "slopes" in description


def test_the_feature_changes_plot_draws_a_one_step_run() -> None:
    """``ganbias demo --steps 1``: the target has not moved yet, so no line can be fitted; the labels still go on."""
    changes = np.zeros((2, 2, 40), dtype=np.float32)
    fig = plots.plot_feature_changes(changes, "Male", ["Smiling", "Bald"])
    assert {t.get_text() for t in fig.axes[0].texts} == {"Smiling", "Bald"}


def test_signs_do_not_rest_on_colour() -> None:
    fig = plots.plot_top_covariances([36, 20, 24], [-2.0, 1.5, -0.5], "Male")
    hatches = [bar.get_hatch() for bar in fig.axes[0].patches]
    assert hatches.count("//") == 2 and hatches.count("") == 1  # negative bars hatched
    assert {t.get_text() for t in fig.axes[0].texts} >= {"-2.00", "+1.50", "-0.50"}
    cov = np.eye(40)
    male, lipstick = attribute_index("Male"), attribute_index("Wearing_Lipstick")
    cov[male, male], cov[lipstick, lipstick], cov[male, lipstick], cov[lipstick, male] = 4.0, 3.0, -2.0, -2.0
    heat = plots.plot_covariance_heatmap(cov, [male, lipstick])
    assert {t.get_text() for t in heat.axes[0].texts} == {"+4.0", "-2.0", "+3.0"}  # values, with signs


def test_grouped_bars_mark_flagged_bars_and_keep_the_legend_outside() -> None:
    import pandas as pd

    table = pd.DataFrame({"a": [0.2, 0.9], "b": [0.5, 0.1]}, index=["x", "y"])
    flagged = pd.DataFrame({"a": [False, True], "b": [False, False]}, index=["x", "y"])
    fig = plots.plot_grouped_bars(table, "rate", "title", flagged=flagged, flag_label="few faces")
    ax = fig.axes[0]
    bars = [p for p in ax.patches if p.get_height() > 0]
    assert len({p.get_hatch() for p in bars}) == 2  # one hatch per column
    assert "0.90*" in {t.get_text() for t in ax.texts}
    assert ax.get_legend().get_bbox_to_anchor().x0 > ax.get_window_extent().x1 - 1  # right of the axes
    assert "few faces" in [t.get_text() for t in ax.get_legend().get_texts()]


def test_the_steering_view_describes_its_picture(tiny_models) -> None:
    from ganbias_helpers.steering_view import figure_output, steer_and_show

    gen, classifier = tiny_models
    output = figure_output(steer_and_show(gen, classifier, "Smiling", 1, 1, n_faces=2))
    assert 'alt="2 generated faces before (top row) and after (bottom row) 1 steps toward Smiling' \
        in output["data"]["text/html"]
    assert output["data"]["text/plain"].startswith("Figure: ") and "Largest changes" in output["data"]["text/plain"]


def test_every_figure_of_the_solutions_goes_through_show_figure() -> None:
    for path in sorted(SOLUTIONS.glob("*.ipynb")):
        for cell in nbformat.read(path, as_version=4).cells:
            if cell.cell_type == "code":
                assert "plt.show()" not in cell.source, \
                    f"{path.name}: show figures with plots.show_figure(fig, description), not plt.show()"


# --------------------------------------------------------------------------- rendered pages (slow)


def _executed_by_the_notebook_runs(shared_runs) -> dict[str, nbformat.NotebookNode]:  # noqa: ANN001
    """The solutions the session's notebook runs executed (tests/test_notebooks.py's; run here if not yet run).

    Those runs are the course's own (notebook 6 at full size, the others small): rendering them costs no second
    execution. A run that failed is left out here (tests/test_notebooks.py reports it); it is executed again below.
    """
    executed = {}
    names = sorted(path.name for path in SOLUTIONS.glob("*.ipynb"))
    for name, (result, folder) in shared_runs.get_all(names).items():
        copy = folder / "executed.ipynb"
        if result.returncode == 0 and copy.exists():
            executed[name] = nbformat.read(copy, as_version=4)
    return executed


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory,
             shared_runs) -> dict[str, tuple[nbformat.NotebookNode, Path]]:  # noqa: ANN001
    """Every solution executed and rendered to HTML by nbconvert (lab template).

    Executed by the session's notebook runs (conftest.py orders this module's page tests after the tests that
    ask for them, so they are usually done); one that failed is executed here at the small experiment size.
    """
    from nbconvert import HTMLExporter

    from ganbias_helpers.course import run_notebook

    out = tmp_path_factory.mktemp("a11y")
    executed = _executed_by_the_notebook_runs(shared_runs)
    saved = {k: os.environ.get(k) for k in ("GANBIAS_EXPERIMENT_SIZE", "CELEBA_DIR")}
    os.environ["GANBIAS_EXPERIMENT_SIZE"] = "8,2"
    os.environ.pop("CELEBA_DIR", None)
    try:
        pages = {}
        for path in sorted(SOLUTIONS.glob("*.ipynb")):
            nb = executed.get(path.name)
            if nb is None:
                shutil.copy(path, out / path.name)
                nb, _ = run_notebook(out / path.name, workdir=out, timeout=600)
            html, _ = HTMLExporter(template_name="lab").from_notebook_node(nb)
            target = out / f"{path.stem}.html"
            target.write_text(html, encoding="utf-8")
            pages[path.stem] = (nb, target)
        return pages
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


@pytest.mark.slow
def test_every_figure_has_a_real_text_alternative(rendered) -> None:
    from bs4 import BeautifulSoup

    figures = 0
    for name, (nb, page) in rendered.items():
        for cell in nb.cells:
            for output in cell.get("outputs", []) if cell.cell_type == "code" else []:
                data = output.get("data", {})
                if "image/png" in data:
                    figures += 1
                    assert re.search(r'<img [^>]*alt="[^"]{40,}"', data.get("text/html", "")), \
                        f"{name} {cell.id}: a figure without alt text for JupyterLab and Colab"
                    assert data.get("text/plain", "").startswith("Figure: "), f"{name} {cell.id}: no text form"
        html = page.read_text(encoding="utf-8")
        assert NO_DESCRIPTION not in html, f"{name}: an image without a description in the HTML"
        images = BeautifulSoup(html, features="html.parser").find_all("img")  # elements, not script text
        assert images and all(len(img.get("alt", "").strip()) >= 40 for img in images), \
            f"{name}: an <img> without a real alt text"
    assert figures >= 17


@pytest.mark.slow
def test_axe_finds_no_serious_or_critical_violation_in_the_course_content(rendered) -> None:
    if not CHROMIUM.exists() or importlib.util.find_spec("playwright") is None:
        pytest.skip(f"the accessibility check needs Debian's chromium at {CHROMIUM} and Playwright's package")
    from playwright.sync_api import sync_playwright

    axe = AXE.read_text(encoding="utf-8")
    assert axe.startswith("/*! axe v4.14.1") and "Mozilla Public" in axe[:600]
    options = json.dumps({"runOnly": {"type": "tag", "values": AXE_TAGS}, "resultTypes": ["violations"]})
    found = {}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                             args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"])
        try:
            page = browser.new_page()
            page.route("**/*", lambda route: route.continue_() if route.request.url.startswith(("file:", "data:"))
                       else route.abort())  # no network: CDN scripts (MathJax, widgets) are not the content
            for name, (_, path) in rendered.items():
                page.goto(path.as_uri(), wait_until="domcontentloaded")
                page.add_script_tag(content=axe)
                violations = page.evaluate(
                    f"async () => (await axe.run({{exclude: {json.dumps(THEME)}}}, {options})).violations"
                    ".map(v => ({id: v.id, impact: v.impact,"
                    " nodes: v.nodes.slice(0, 3).map(n => n.html.slice(0, 160))}))")
                bad = [v for v in violations if v["impact"] in ("serious", "critical")]
                if bad:
                    found[name] = bad
                assert page.evaluate("document.querySelectorAll('img[alt]').length") >= 1, f"{name}: no figure shown"
        finally:
            browser.close()
    assert not found, f"serious or critical accessibility violations: {json.dumps(found, indent=1)[:4000]}"
