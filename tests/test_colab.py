"""Google Colab: the setup cell of every student notebook installs the course package there, and only there.

* every setup cell (solutions and release) starts with the same install lines, built from course.toml,
  the one place an instructor points at their own copy (scripts/set_course_repository.py writes both);
* the script changes nothing in a notebook but the setup cell's install lines;
* the setup cell run as Colab would see it: a stand-in ``google.colab`` module, a fresh environment
  where the course package is absent (the heavy dependencies borrowed from this one, read-only), and
  ``GANBIAS_INSTALL`` pointing at a local copy of the repository. The first run installs the package,
  ``import ganbias_helpers`` and ``load_pretrained`` then work from that environment (so the weights
  are packaged); a second run, in the same kernel or after a restart, is quick and installs nothing.
  Without ``google.colab`` the cell installs nothing.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import sysconfig
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SOLUTIONS = ROOT / "solutions" / "ganbias"
RELEASE = ROOT / "notebooks" / "ganbias"
NOTEBOOKS = sorted(p.name for p in RELEASE.glob("*.ipynb"))
PACKAGE_FILES = ["pyproject.toml", "README.md", "ganbias_helpers", "autograder"]


def _script():
    path = ROOT / "scripts" / "set_course_repository.py"
    spec = importlib.util.spec_from_file_location("set_course_repository", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


course = _script()


def setup_source(path: Path) -> str:
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    return "".join(cells[course.setup_cell_index(cells)]["source"])


# --------------------------------------------------------------------------- one place (fast)


@pytest.mark.parametrize("folder", [SOLUTIONS, RELEASE], ids=["solutions", "release"])
def test_every_setup_cell_installs_from_course_toml(folder: Path) -> None:
    config = course.read_config()
    block = course.setup_block(config)
    assert f'"{course.install_spec(config)}"' in block
    assert course.install_spec(config).endswith(f"/raw/{config['ref']}/dist/{course.wheel_name()}"), \
        "Colab installs the student edition's wheel (course.toml's [student] is on GitHub)"
    for name in NOTEBOOKS:
        assert course.setup_cell_problems(folder / name, block) == [], (
            f"{folder.name}/{name}: run 'python scripts/set_course_repository.py && make notebooks'"
        )


def test_the_script_checks_the_release_too() -> None:
    result = subprocess.run([sys.executable, str(ROOT / "scripts" / "set_course_repository.py"), "--check"],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr


def test_pointing_at_a_fork_changes_only_the_install_lines(tmp_path: Path) -> None:
    toml = tmp_path / "course.toml"
    shutil.copy(ROOT / "course.toml", toml)
    course.write_config("https://github.com/some-teacher/bias-course-2027", "spring-2027", path=toml)
    config = course.read_config(toml)
    assert config == {"repository": "https://github.com/some-teacher/bias-course-2027", "ref": "spring-2027"}
    assert (ROOT / "course.toml").read_text().count("#") == toml.read_text().count("#"), "comments must stay"
    assert course.colab_url(config, "01_models.ipynb") == (
        "https://colab.research.google.com/github/some-teacher/bias-course-2027/blob/spring-2027/"
        "notebooks/ganbias/01_models.ipynb"
    )
    block = course.setup_block(config)
    for name in NOTEBOOKS:
        copy = tmp_path / name
        shutil.copy(SOLUTIONS / name, copy)
        before = json.loads(copy.read_text(encoding="utf-8"))
        assert course.rewrite_setup_cell(copy, block) is True
        assert course.rewrite_setup_cell(copy, block) is False, "a second run must change nothing"
        after = json.loads(copy.read_text(encoding="utf-8"))
        index = course.setup_cell_index(after["cells"])
        old, new = "".join(before["cells"][index]["source"]), "".join(after["cells"][index]["source"])
        assert "https://github.com/some-teacher/bias-course-2027/raw/spring-2027/dist/ganbias-" in new
        assert new.split("importlib.invalidate_caches()")[1] == old.split("importlib.invalidate_caches()")[1], (
            f"{name}: the notebook's own imports after the install lines must stay"
        )
        before["cells"][index]["source"] = after["cells"][index]["source"]
        assert after == before, f"{name}: only the setup cell's source may change"


@pytest.mark.parametrize("repository", ["git@github.com:someone/repo.git", "/home/me/course", "github.com/a/b",
                                        "https://github.com/a"])
def test_the_script_refuses_what_colab_cannot_install(repository: str) -> None:
    with pytest.raises(course.CourseConfigError):
        course.check(repository, "main")
    with pytest.raises(course.CourseConfigError):
        course.check("https://github.com/a/b", "main; rm -rf /")


def test_the_weights_would_be_committed() -> None:
    """A git+https install gets only what is in the repository: the weights must not be git-ignored."""
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("not a git checkout")
    weights = sorted(p.name for p in (ROOT / "ganbias_helpers" / "weights").glob("*.pth"))
    assert weights, "no weights in ganbias_helpers/weights"
    ignored = subprocess.run(["git", "check-ignore", *(f"ganbias_helpers/weights/{w}" for w in weights)],
                             cwd=ROOT, capture_output=True, text=True)
    assert ignored.stdout == "", f"git ignores weights that Colab needs:\n{ignored.stdout}"


def test_every_setup_cell_says_which_device_it_chose() -> None:
    for name in NOTEBOOKS:
        text = json.dumps(json.loads((RELEASE / name).read_text(encoding="utf-8"))["cells"])
        assert 'print(f\\"Ready. The models will run on: {device}\\")' in text, name
        if "steer(" in text:
            assert "size = experiment_size(device)" in text, f"{name} steers without the CPU note"


# --------------------------------------------------------------------------- as Colab sees it


DRIVER = textwrap.dedent(
    """
    import contextlib, importlib.util, io, json, sys, time

    cells, report = json.load(open(sys.argv[1])), sys.argv[2]
    runs = []
    if "--probe" in sys.argv:
        from importlib import metadata
        try:
            dist = metadata.distribution("ganbias").locate_file("")
        except metadata.PackageNotFoundError:
            dist = None
        probe = {name: importlib.util.find_spec(name) is not None for name in ("ganbias_helpers", "autograder",
                                                                              "torch", "fairlearn", "pandas")}
        probe["colab"] = importlib.util.find_spec("google") is not None and \\
            importlib.util.find_spec("google.colab") is not None
        json.dump({"probe": probe, "ganbias_distribution": str(dist) if dist else None}, open(report, "w"))
        sys.exit(0)
    namespace = {"__name__": "__main__"}
    for name, source in cells:
        out, start, error = io.StringIO(), time.perf_counter(), None
        with contextlib.redirect_stdout(out):
            try:
                exec(compile(source, name, "exec"), namespace)
            except BaseException as exc:
                error = f"{type(exc).__name__}: {exc}"
        runs.append({"cell": name, "seconds": time.perf_counter() - start, "stdout": out.getvalue(), "error": error})
        if error:
            break
    result = {"runs": runs}
    if not runs[-1]["error"]:
        import ganbias_helpers, ganbias_helpers.weights as weights
        gen, classifier = weights.load_pretrained("cpu")
        parameters = sum(p.numel() for model in (gen, classifier) for p in model.parameters())
        result.update(package=ganbias_helpers.__file__, weights=str(weights.WEIGHTS_DIR), parameters=parameters)
    json.dump(result, open(report, "w"))
    """
)


def _package_copy(dest: Path) -> Path:
    """The files a clone of the repository would hold for the package (tracked or not, never git-ignored)."""
    listed = None
    if shutil.which("git") and (ROOT / ".git").exists():
        result = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard", "--",
                                 *PACKAGE_FILES], cwd=ROOT, capture_output=True, text=True)
        if result.returncode == 0:
            listed = [name for name in result.stdout.split("\0") if name]
    if listed is None:
        listed = [str(p.relative_to(ROOT)) for name in PACKAGE_FILES for p in
                  ([ROOT / name] if (ROOT / name).is_file() else (ROOT / name).rglob("*"))
                  if p.is_file() and "__pycache__" not in p.parts]
    for name in listed:
        if (ROOT / name).is_file():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, dest / name)
    return dest


def _borrowed_dependencies(dest: Path) -> Path:
    """This environment's installed packages, minus the course package and every .pth hook (editable finders)."""
    dest.mkdir()
    site_dirs = {Path(sysconfig.get_paths()[key]) for key in ("purelib", "platlib")}
    for site_dir in site_dirs:
        for entry in site_dir.iterdir():
            name = entry.name.lower()
            if name.startswith(("ganbias", "autograder", "__editable__", "__pycache__")) or name.endswith(".pth"):
                continue
            if not (dest / entry.name).exists():
                (dest / entry.name).symlink_to(entry)
    return dest


@pytest.fixture(scope="module")
def colab(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """A fresh environment without the course package, a stand-in google.colab, and a local copy to install."""
    tmp = tmp_path_factory.mktemp("colab")
    venv = tmp / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=300)
    python = venv / "bin" / "python"
    own_site = Path(subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                                   capture_output=True, text=True, check=True).stdout.strip())
    # after the environment's own site-packages: what gets installed there wins
    (own_site / "zz_borrowed_dependencies.pth").write_text(f"{_borrowed_dependencies(tmp / 'borrowed')}\n")
    stand_in = tmp / "stand_in"
    (stand_in / "google" / "colab").mkdir(parents=True)
    (stand_in / "google" / "__init__.py").write_text("")
    (stand_in / "google" / "colab" / "__init__.py").write_text('"""Stand-in for Colab\'s google.colab."""\n')
    driver = tmp / "driver.py"
    driver.write_text(DRIVER)
    cells = tmp / "cells.json"
    cells.write_text(json.dumps([[name, setup_source(RELEASE / name)] for name in NOTEBOOKS]))
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("PIP_", "PYTHON", "VIRTUAL_ENV", "GANBIAS_INSTALL", "CONDA"))}
    env.update(
        PIP_CONFIG_FILE=os.devnull,  # no index, mirror or find-links from this machine's pip.conf
        PIP_NO_INDEX="1",  # nothing downloaded: every dependency must already be there
        PIP_NO_BUILD_ISOLATION="0",  # (pip reads "0" as: build with the setuptools at hand, offline)
        PIP_DISABLE_PIP_VERSION_CHECK="1",
        PIP_CACHE_DIR=str(tmp / "pip-cache"),
        PYTHONNOUSERSITE="1",
        GANBIAS_INSTALL=str(_package_copy(tmp / "ganbias-course")),
    )
    return {"tmp": tmp, "venv": venv, "python": python, "site": own_site, "stand_in": stand_in, "driver": driver,
            "cells": cells, "env": env}


def _run(colab: dict, *args: str, on_colab: bool = True, **env: str) -> dict:
    report = colab["tmp"] / "report.json"
    report.unlink(missing_ok=True)
    environment = {**colab["env"], **env}
    if on_colab:
        environment["PYTHONPATH"] = str(colab["stand_in"])
    result = subprocess.run([str(colab["python"]), str(colab["driver"]), str(colab["cells"]), str(report),
                             *args], cwd=colab["tmp"], env=environment, capture_output=True, text=True, timeout=900)
    assert result.returncode == 0 and report.exists(), result.stdout + result.stderr
    return json.loads(report.read_text())


def _inside(path: str, folder: Path) -> bool:
    return Path(path).resolve().is_relative_to(folder.resolve())


@pytest.mark.slow
def test_setup_cell_installs_the_course_package_on_colab(colab: dict) -> None:
    before = _run(colab, "--probe")
    assert before["probe"] == {"ganbias_helpers": False, "autograder": False, "torch": True, "fairlearn": True,
                               "pandas": True, "colab": True}, before
    assert before["ganbias_distribution"] is None, "the course package leaked into the fresh environment"
    assert _run(colab, "--probe", on_colab=False)["probe"]["colab"] is False

    # Not on Colab: the cell only imports, so here (no course package) it fails at the import, installing nothing.
    elsewhere = _run(colab, on_colab=False)["runs"]
    assert len(elsewhere) == 1 and elsewhere[0]["error"].startswith("ModuleNotFoundError"), elsewhere
    assert "Installing" not in elsewhere[0]["stdout"]
    assert _run(colab, "--probe")["probe"]["ganbias_helpers"] is False

    # On Colab, an address pip cannot install from: the cell says so, with pip's reason.
    nowhere = str(colab["tmp"] / "nowhere")
    failed = _run(colab, GANBIAS_INSTALL=nowhere)["runs"]
    assert len(failed) == 1 and failed[0]["error"].startswith("RuntimeError: could not install the course package"
                                                              f" from {nowhere}"), failed

    # On Colab: notebook 1's setup cell installs; then all six setup cells run in the same kernel.
    first = _run(colab)
    runs = first["runs"]
    assert [r["error"] for r in runs] == [None] * len(NOTEBOOKS), runs
    assert runs[0]["stdout"].startswith("Installing the course package"), runs[0]
    assert re.search(r"Ready\. The models will run on: (cpu|cuda)", runs[0]["stdout"]), runs[0]
    for later in runs[1:]:
        assert "Installing" not in later["stdout"] and "Ready." in later["stdout"], later  # imports only
    assert _inside(first["package"], colab["site"]), f"ganbias_helpers imported from {first['package']}"
    assert _inside(first["weights"], colab["site"]), "the weights must come with the installed package"
    assert first["parameters"] > 1_000_000
    after = _run(colab, "--probe")
    assert after["probe"]["ganbias_helpers"] and after["probe"]["autograder"]
    assert _inside(after["ganbias_distribution"], colab["site"])

    # Run again after a kernel restart: no install (an unusable address would make pip fail). How long each
    # run took is printed, not asserted: timings belong to benchmarks, and a busy machine would fail them.
    again = _run(colab, GANBIAS_INSTALL=nowhere)["runs"]
    assert [r["error"] for r in again] == [None] * len(NOTEBOOKS), again
    assert all("Installing" not in r["stdout"] for r in again)
    print(f"install and first setup cell: {runs[0]['seconds']:.1f}s; after a restart: {again[0]['seconds']:.1f}s")

