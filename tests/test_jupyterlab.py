"""JupyterLab, for real: a student notebook run in a real browser, as a student on a laptop would run it.

Starts JupyterLab on localhost (a free port, a token, a temporary folder holding a copy of the release's
``01_models.ipynb``, fresh Jupyter settings), opens the notebook in Debian's chromium driven by Playwright,
runs every cell from the menus (Run > Run All Cells; where it stops at an unanswered exercise, Run > Run
Selected Cell and All Below from the next cell), then checks that

* every code cell ran, in this repository's environment (the kernel is its Python's ipykernel);
* no output is an error except the NotImplementedError of the unanswered exercise, and no traceback on stderr;
* at least one figure rendered (an ``<img>`` in an output area, loaded);
* nbgrader's JupyterLab extension loaded (the notebook toolbar's Validate button, the Nbgrader menu).

A second test drives notebook 2's "steer it yourself" view (ipywidgets): a notebook made of the release's
setup cell, its model-loading cell and its ``steering_view`` cell is run in the browser, the steps slider
is moved with the keyboard, and the test checks that the slider's value and the drawn picture changed.

A screenshot, the browser console, the server log and the executed notebook are saved in
``$GANBIAS_ARTIFACTS`` (default ``test-artifacts/`` at the repository root). Skips, saying what to
install, where chromium or Playwright is missing.
"""

from __future__ import annotations

import importlib.util
import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from ganbias_helpers.course import INLINE_BACKEND

pytestmark = pytest.mark.slow  # a JupyterLab server and a browser: left out of make test-fast

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "notebooks" / "ganbias" / "01_models.ipynb"
STEERING = ROOT / "notebooks" / "ganbias" / "02_steering.ipynb"
VIEW_NOTEBOOK = "steer_it_yourself.ipynb"  # built from STEERING's cells by the fixture
CHROMIUM = Path(os.environ.get("GANBIAS_CHROMIUM", "/usr/bin/chromium"))
ARTIFACTS = Path(os.environ.get("GANBIAS_ARTIFACTS", ROOT / "test-artifacts"))
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-dev-shm-usage",  # containers often have a small /dev/shm
]
EXPECTED_ERRORS = {"NotImplementedError"}  # the release's unanswered exercises
ACTION_TIMEOUT_MS = 60_000
RUN_TIMEOUT_S = 240
RUN_ALL_ATTEMPTS, RUN_ALL_START_S = 3, 20.0


def _requirements() -> None:
    missing = []
    if not CHROMIUM.exists():
        missing.append(f"Debian's chromium at {CHROMIUM} (apt-get install chromium; or set GANBIAS_CHROMIUM "
                       "to another Chromium; never 'playwright install', browser downloads may be blocked)")
    if importlib.util.find_spec("playwright") is None:
        missing.append("Playwright's Python package (pip install playwright, or pip install -e '.[dev]')")
    for module in ("jupyterlab", "nbgrader", "ipykernel"):
        if importlib.util.find_spec(module) is None:
            missing.append(f"{module} (pip install -e '.[dev]')")
    if missing:
        pytest.skip("the JupyterLab browser test needs " + "; ".join(missing))


def _steering_view_notebook() -> dict:
    """The release's notebook 2 cut down to what its steering view needs: setup, models, the view."""
    nb = json.loads(STEERING.read_text())
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    view = [c for c in code if "steering_view(" in "".join(c["source"]) and "import" not in "".join(c["source"])]
    models = [c for c in code if "load_pretrained(" in "".join(c["source"])]
    assert view and models, "notebook 2 must have a cell loading the models and one calling steering_view"
    nb["cells"] = [code[0], models[0], view[0]]
    for cell in nb["cells"]:
        cell["outputs"], cell["execution_count"] = [], None
    return nb


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _write_json(path: Path, data: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=1))


@pytest.fixture(scope="module")
def jupyterlab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict]:
    """JupyterLab serving a folder with a copy of the student notebook; this environment's Python as the kernel.

    One server for the module's tests (each opens its own notebook in its own browser profile).
    """
    _requirements()
    tmp_path = tmp_path_factory.mktemp("jupyterlab")
    root, home = tmp_path / "student", tmp_path / "jupyter"
    root.mkdir()
    shutil.copy(NOTEBOOK, root / NOTEBOOK.name)
    _write_json(root / VIEW_NOTEBOOK, _steering_view_notebook())
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("JUPYTER", "IPYTHON", "PYTHONPATH", "CELEBA_DIR", "MPLBACKEND"))}
    env.update(
        JUPYTER_CONFIG_DIR=str(home / "config"),  # fresh user settings, workspaces and kernels;
        JUPYTER_DATA_DIR=str(home / "data"),  # the environment's own (nbgrader's extensions) still apply
        JUPYTER_PATH=str(home / "path"),  # searched first, even before the environment's own folders
        JUPYTER_RUNTIME_DIR=str(home / "runtime"),
        IPYTHONDIR=str(home / "ipython"),
        MPLBACKEND=INLINE_BACKEND,  # figures as inline images, as in any Jupyter
    )
    # The kernel: this environment's Python, whatever other "python3" kernels the machine may have.
    _write_json(home / "path" / "kernels" / "python3" / "kernel.json", {
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "Python 3 (ipykernel)", "language": "python", "metadata": {"debugger": True},
    })
    settings = home / "config" / "lab" / "user-settings" / "@jupyterlab"
    _write_json(settings / "notebook-extension" / "tracker.jupyterlab-settings", {"windowingMode": "none"})
    _write_json(settings / "apputils-extension" / "notification.jupyterlab-settings",
                {"checkForUpdates": False, "fetchNews": "false"})
    port, token = _free_port(), secrets.token_hex(16)
    lab = Path(sys.executable).parent / "jupyter-lab"
    command = [str(lab)] if lab.exists() else [sys.executable, "-m", "jupyterlab"]
    command += [
        "--no-browser", "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}", "--ServerApp.port_retries=0",
        f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root}",
        "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
    ]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        command.append("--allow-root")  # CI containers run as root
    log_path = tmp_path / "jupyterlab-server.log"
    with open(log_path, "w") as log:
        server = subprocess.Popen(command, cwd=root, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            if server.poll() is not None:
                pytest.fail(f"JupyterLab exited ({server.returncode}):\n{log_path.read_text()[-3000:]}")
            try:
                with urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=5) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"JupyterLab did not answer within 90s:\n{log_path.read_text()[-3000:]}")
            time.sleep(0.5)
        with urllib.request.urlopen(f"{base}/api/kernelspecs?token={token}", timeout=10) as response:
            specs = json.load(response)
        yield {"base": base, "token": token, "root": root, "log": log_path, "kernelspecs": specs}
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        shutil.copy(log_path, ARTIFACTS / "jupyterlab-server.log")


# In the page. A cell's prompt reads "[ ]:" never run, "[*]:" queued or running, "[7]:" run.
PANEL = ".jp-NotebookPanel:not(.lm-mod-hidden)"
CELLS = f"{PANEL} .jp-Notebook .jp-Cell"
CELLS_JS = f"""() => [...document.querySelectorAll('{CELLS}')]
    .map(cell => ({{code: cell.classList.contains('jp-CodeCell'), active: cell.classList.contains('jp-mod-active'),
                   prompt: (cell.querySelector('.jp-InputPrompt') || {{}}).textContent || ''}}))"""
STATUS_JS = f"""() => {{
    const indicator = document.querySelector('{PANEL} .jp-Notebook-ExecutionIndicator');
    return indicator ? indicator.getAttribute('data-status') : null;
}}"""
IMAGES_JS = """() => [...document.querySelectorAll('.jp-OutputArea-output img')]
    .map(img => ({loaded: img.complete && img.naturalWidth > 0, width: img.naturalWidth, height: img.naturalHeight}))"""


def _text(output: dict) -> str:
    text = output.get("text", "")
    return "".join(text) if isinstance(text, list) else text


def _wait(page, what: str, condition, timeout_s: float = ACTION_TIMEOUT_MS / 1000) -> None:
    """Poll ``condition()`` until true; fail saying what was awaited and where the cells stand."""
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            prompts = [c["prompt"] + ("<active" if c["active"] else "") for c in page.evaluate(CELLS_JS)]
            pytest.fail(f"waited {timeout_s:.0f}s for {what}; kernel {page.evaluate(STATUS_JS)}, prompts {prompts}")
        time.sleep(0.25)


def _kernel_ready(page, notes: list[str]) -> bool:
    """True once the notebook's kernel is attached and idle with no dialog open.

    On a loaded machine JupyterLab sometimes opens the notebook before it has read the kernel list, and
    then asks which kernel to use; a student would pick Python 3 there, and so does this test.
    """
    dialog = page.locator(".jp-Dialog")
    if dialog.count():
        text = dialog.first.inner_text()
        if "Select Kernel" not in text:
            pytest.fail(f"an unexpected dialog opened: {text!r}")
        dialog.first.locator("select").select_option(label="Python 3 (ipykernel)")
        dialog.first.locator(".jp-Dialog-button.jp-mod-accept").click()
        notes.append("test: JupyterLab asked for a kernel; chose Python 3 (ipykernel)")
        return False
    kernel = page.locator(f"{PANEL} .jp-Toolbar .jp-KernelName")
    return (page.evaluate(STATUS_JS) == "idle" and kernel.count() == 1
            and "Python 3" in kernel.inner_text())


def _menu(page, menu: str, item: str) -> None:
    dialog = page.locator(".jp-Dialog")
    if dialog.count():
        pytest.fail(f"a dialog is open before {menu} > {item}: {dialog.first.inner_text()!r}")
    page.locator("#jp-MainMenu .lm-MenuBar-itemLabel").get_by_text(menu, exact=True).click()
    page.locator(".lm-Menu:visible .lm-Menu-item:visible .lm-Menu-itemLabel").get_by_text(item, exact=True).click()


def _wait_until_idle(page, what: str) -> None:
    """The kernel idle and no cell queued, three times in a row half a second apart."""
    calm = [0]

    def settled() -> bool:
        busy = page.evaluate(STATUS_JS) != "idle" or any("*" in c["prompt"] for c in page.evaluate(CELLS_JS))
        calm[0] = 0 if busy else calm[0] + 1
        time.sleep(0.25)
        return calm[0] >= 3

    _wait(page, what, settled, timeout_s=RUN_TIMEOUT_S)


def _run_every_cell(page) -> int:
    """Run All Cells; where the run stopped at an error, go on from the next cell. Returns how many runs it took."""
    # On a loaded machine the kernel can report idle a moment before the page has attached it to the
    # notebook; a Run All in that moment only clears the prompts. Nothing has run then, so ask again.
    for attempt in range(1, RUN_ALL_ATTEMPTS + 1):
        _menu(page, "Run", "Run All Cells")
        try:
            _wait(page, "Run All Cells to start", lambda: any(ch.isdigit() or ch == "*"
                                                              for c in page.evaluate(CELLS_JS) for ch in c["prompt"]),
                  timeout_s=RUN_ALL_START_S)
            break
        except pytest.fail.Exception:
            if attempt == RUN_ALL_ATTEMPTS:
                raise
    _wait_until_idle(page, "Run All Cells to finish")
    for runs in range(1, 20):
        cells = page.evaluate(CELLS_JS)
        executed = [i for i, c in enumerate(cells) if c["code"] and any(ch.isdigit() for ch in c["prompt"])]
        pending = [i for i, c in enumerate(cells) if c["code"] and i > executed[-1] and "[ ]" in c["prompt"]]
        if not pending:
            return runs
        target = executed[-1] + 1  # the cell after the one the run stopped at
        page.locator(CELLS).nth(target).locator(".jp-InputPrompt").click()
        _wait(page, f"cell {target} to be selected", lambda i=target: page.evaluate(CELLS_JS)[i]["active"])
        _menu(page, "Run", "Run Selected Cell and All Below")
        _wait(page, f"cell {pending[0]} to run",
              lambda i=pending[0]: any(ch.isdigit() for ch in page.evaluate(CELLS_JS)[i]["prompt"]))
        _wait_until_idle(page, f"the run from cell {target} to finish")
    pytest.fail("cells still not run after 20 runs")


def _open(playwright, jupyterlab: dict, name: str, console: list[str], profile: Path):
    """A browser (a fresh profile in ``profile``) on ``name`` with its kernel ready: ``(browser, page)``."""
    browser = playwright.chromium.launch_persistent_context(
        str(profile), executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS,
        viewport={"width": 1400, "height": 1000},
    )
    page = browser.pages[0] if browser.pages else browser.new_page()
    page.set_default_timeout(ACTION_TIMEOUT_MS)
    page.on("console", lambda m: console.append(f"{m.type}: {m.text}"))
    page.on("pageerror", lambda e: console.append(f"pageerror: {e}"))
    page.goto(f"{jupyterlab['base']}/lab/tree/{name}?reset&token={jupyterlab['token']}")
    page.locator(CELLS).first.wait_for()
    _wait(page, "the kernel to start", lambda: _kernel_ready(page, console), timeout_s=120)
    return browser, page


VIEW_JS = f"""() => {{
    const box = document.querySelector('{PANEL} .jp-OutputArea-output .widget-vbox');
    if (!box) return null;
    const readout = box.querySelector('.widget-slider .widget-readout');
    return {{value: readout ? readout.textContent.trim() : null,
             images: [...box.querySelectorAll('img')].filter(i => i.complete && i.naturalWidth > 50)
                                                      .map(i => i.src)}};
}}"""


def test_steer_it_yourself_view_redraws_when_the_slider_moves(jupyterlab: dict, tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    console: list[str] = []
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser, page = _open(playwright, jupyterlab, VIEW_NOTEBOOK, console, tmp_path / "chromium-profile")
        try:
            _run_every_cell(page)
            _wait(page, "the steering view to draw its first picture",
                  lambda: (page.evaluate(VIEW_JS) or {}).get("images"), timeout_s=RUN_TIMEOUT_S)
            before = page.evaluate(VIEW_JS)
            assert before["value"] == "5", f"the steps slider should start at 5: {before['value']!r}"
            handle = page.locator(f"{PANEL} .widget-slider .noUi-handle").first
            handle.scroll_into_view_if_needed()
            handle.focus()
            for _ in range(3):
                handle.press("ArrowRight")  # what a student does with the keyboard or by dragging: 5 -> 8
            _wait(page, "the slider to read 8", lambda: page.evaluate(VIEW_JS)["value"] == "8")
            _wait(page, "the picture to be redrawn after the slider moved",
                  lambda: (after := page.evaluate(VIEW_JS)["images"]) and after[0] != before["images"][0],
                  timeout_s=RUN_TIMEOUT_S)
            _wait_until_idle(page, "the redraw to finish")
            page.screenshot(path=str(ARTIFACTS / "jupyterlab-steering-view.png"))
        finally:
            (ARTIFACTS / "jupyterlab-steering-view-console.txt").write_text("\n".join(console) + "\n")
            browser.close()
    page_errors = [line for line in console if line.startswith("pageerror")]
    assert not page_errors, f"JupyterLab raised in the browser: {page_errors}"


def test_student_notebook_runs_in_jupyterlab_in_a_browser(jupyterlab: dict, tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    spec = jupyterlab["kernelspecs"]["kernelspecs"]["python3"]["spec"]
    assert spec["argv"][0] == sys.executable, f"the notebook's kernel must be this environment's Python: {spec}"

    started = time.monotonic()
    console: list[str] = []
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    screenshot = ARTIFACTS / "jupyterlab-01_models.png"
    for old in ARTIFACTS.glob("jupyterlab-01_models*"):
        old.unlink()
    with sync_playwright() as playwright:
        browser, page = _open(playwright, jupyterlab, NOTEBOOK.name, console, tmp_path / "chromium-profile")
        try:
            # nbgrader's JupyterLab extension: the Validate button and the Nbgrader menu.
            validate = page.locator(".jp-NotebookPanel .jp-Toolbar .validate-button")
            validate.wait_for()
            assert "Validate" in validate.inner_text()
            assert page.locator("#jp-MainMenu .lm-MenuBar-itemLabel").get_by_text("Nbgrader", exact=True).count() == 1

            runs = _run_every_cell(page)
            images = page.evaluate(IMAGES_JS)
            figure = page.locator(".jp-OutputArea-output img").first
            if images:
                figure.scroll_into_view_if_needed()
            page.screenshot(path=str(screenshot))
            _menu(page, "File", "Save Notebook")  # to read every output back from the file
            _wait(page, "the notebook to be saved",
                  lambda: page.evaluate("() => !document.querySelector('.lm-TabBar-tab.jp-mod-dirty')"))
        finally:
            if not screenshot.exists():
                try:
                    page.screenshot(path=str(ARTIFACTS / "jupyterlab-01_models-failed.png"))
                except Exception as error:  # the browser may be gone; the failure itself matters more
                    console.append(f"no failure screenshot: {error}")
            (ARTIFACTS / "jupyterlab-browser-console.txt").write_text("\n".join(console) + "\n")
            browser.close()
    seconds = time.monotonic() - started

    executed = json.loads((jupyterlab["root"] / NOTEBOOK.name).read_text())
    shutil.copy(jupyterlab["root"] / NOTEBOOK.name, ARTIFACTS / "jupyterlab-01_models-executed.ipynb")
    code = [c for c in executed["cells"] if c["cell_type"] == "code"]
    not_run = [c["metadata"]["nbgrader"]["grade_id"] for c in code if c["execution_count"] is None]
    assert not not_run, f"cells that never ran in the browser: {not_run}"
    errors = [(c["metadata"]["nbgrader"]["grade_id"], o["ename"], o["evalue"])
              for c in code for o in c["outputs"] if o["output_type"] == "error"]
    assert {ename for _, ename, _ in errors} == EXPECTED_ERRORS, f"errors in the browser: {errors}"
    tracebacks = [c["metadata"]["nbgrader"]["grade_id"] for c in code for o in c["outputs"]
                  if o["output_type"] == "stream" and o["name"] == "stderr" and "Traceback" in _text(o)]
    assert not tracebacks, f"tracebacks on stderr in {tracebacks}"
    setup_output = "".join(_text(o) for o in code[0]["outputs"])
    assert "Ready. The models will run on: cpu" in setup_output or "cuda" in setup_output, setup_output
    assert any(img["loaded"] and img["width"] > 50 for img in images), f"no figure rendered: {images}"
    page_errors = [line for line in console if line.startswith("pageerror")]
    assert not page_errors, f"JupyterLab raised in the browser: {page_errors}"
    print(f"{len(code)} code cells in {runs} run(s), {len(images)} figure(s), expected errors {errors}, "
          f"{seconds:.0f}s in the browser; screenshot {screenshot}")
