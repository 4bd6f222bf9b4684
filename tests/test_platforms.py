"""The Gradescope and PrairieLearn bundles end to end: `ganbias export`, the bundle laid out in a temporary root
that mimics the container, its entry point run on a correct, a partly wrong and a broken submission, and the
results checked against each platform's results format (written here from the platforms' documentation)."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import jsonschema
import pytest
from autograder_support import save, set_source, solution, why_no_isolation

from autograder.export import build_wheel, export_gradescope, export_prairielearn, pinned_requirements
from autograder.items import items_of
from autograder.platforms import (
    MAX_FILES,
    PlatformConfig,
    collect_submission,
    gradescope_failure,
    prairielearn_failure,
)

#: The bundles grade untrusted code, so they refuse a machine that cannot isolate it (their setup installs
#: bubblewrap); the tests that run them skip there and say why.
WHY_NO_ISOLATION = why_no_isolation()
needs_isolation = pytest.mark.skipif(WHY_NO_ISOLATION is not None,
                                     reason=f"the platform bundles refuse to grade here: {WHY_NO_ISOLATION}")
NOTEBOOK = "04_fairness"
FUNCTIONS = [item.name for item in items_of(NOTEBOOK)]
VISIBILITY = ["hidden", "after_due_date", "after_published", "visible"]
FORMATS = ["text", "html", "simple_format", "md", "ansi"]

# Gradescope's results.json, from its autograder specification: everything optional but the score (at the top, or
# on every test); tests carry a score and max_score, a status (passed/failed), a name, a number (a string used to
# order them), an output with its format, tags, a visibility and extra data. Nothing else is read.
GRADESCOPE_TEST = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "score": {"type": "number"},
        "max_score": {"type": "number", "minimum": 0},
        "status": {"enum": ["passed", "failed"]},
        "name": {"type": "string"},
        "name_format": {"enum": FORMATS},
        "number": {"type": "string"},
        "output": {"type": "string"},
        "output_format": {"enum": FORMATS},
        "tags": {"type": "array", "items": {"type": "string"}},
        "visibility": {"enum": VISIBILITY},
        "extra_data": {"type": "object"},
    },
}
GRADESCOPE_RESULTS = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "score": {"type": "number"},
        "execution_time": {"type": "number", "minimum": 0},
        "output": {"type": "string"},
        "output_format": {"enum": FORMATS},
        "test_output_format": {"enum": FORMATS},
        "test_name_format": {"enum": FORMATS},
        "visibility": {"enum": VISIBILITY},
        "stdout_visibility": {"enum": VISIBILITY},
        "extra_data": {"type": "object"},
        "tests": {"type": "array", "items": GRADESCOPE_TEST},
        "leaderboard": {"type": "array"},
    },
    "anyOf": [{"required": ["score"]},
              {"required": ["tests"], "properties": {"tests": {"items": {"required": ["score"]}}}}],
}

# PrairieLearn's results.json, from its external grading documentation: `gradable` (false: the submission is not
# counted, e.g. when grading itself failed), a score between 0 and 1, a message and an output for the whole
# submission, images, and tests with a name, a description, points and max_points, a message and an output.
# PrairieLearn refuses a results file over 1 MB.
PRAIRIELEARN_TEST = {
    "type": "object",
    "additionalProperties": False,
    "required": ["name"],
    "properties": {
        "name": {"type": "string"},
        "description": {"type": "string"},
        "points": {"type": "number", "minimum": 0},
        "max_points": {"type": "number", "minimum": 0},
        "message": {"type": "string"},
        "output": {"type": "string"},
        "images": {"type": "array"},
    },
}
PRAIRIELEARN_RESULTS = {
    "type": "object",
    "additionalProperties": False,
    "required": ["gradable"],
    "properties": {
        "gradable": {"type": "boolean"},
        "succeeded": {"type": "boolean"},
        "score": {"type": "number", "minimum": 0, "maximum": 1},
        "message": {"type": "string"},
        "output": {"type": "string"},
        "format_errors": {"type": "array"},
        "images": {"type": "array"},
        "tests": {"type": "array", "items": PRAIRIELEARN_TEST},
    },
    "if": {"properties": {"gradable": {"const": True}}},
    "then": {"required": ["score"]},
}
# A question's info.json, the parts external grading reads.
PRAIRIELEARN_INFO = {
    "type": "object",
    "required": ["uuid", "title", "topic", "type", "gradingMethod", "externalGradingOptions"],
    "properties": {
        "uuid": {"type": "string", "pattern": "^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"},
        "type": {"const": "v3"},
        "gradingMethod": {"const": "External"},
        "singleVariant": {"type": "boolean"},
        "tags": {"type": "array", "items": {"type": "string"}},
        "externalGradingOptions": {
            "type": "object",
            "additionalProperties": False,
            "required": ["image", "entrypoint"],
            "properties": {
                "enabled": {"type": "boolean"},
                "image": {"type": "string", "minLength": 1},
                "entrypoint": {"type": "string", "pattern": "^/grade/"},
                "serverFilesCourse": {"type": "array", "items": {"type": "string"}},
                "timeout": {"type": "integer", "minimum": 1},
                "enableNetworking": {"type": "boolean"},
                "environment": {"type": "object"},
            },
        },
    },
}


def wrong_fairness() -> dict:
    """04 with demographic_parity_gap answered wrongly (signed gap of the first two groups only)."""
    nb = solution(NOTEBOOK)
    return set_source(nb, "demographic_parity_gap", (
        "def demographic_parity_gap(y_true, y_pred, group):\n"
        "    y_pred, group = np.asarray(y_pred), np.asarray(group)\n"
        "    rates = [y_pred[group == g].mean() for g in np.unique(group)]\n"
        "    return float(rates[0] - rates[1])\n"))


@pytest.fixture(scope="module")
def bundles(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("bundles")
    gs = export_gradescope(out / "gs", PlatformConfig("gradescope", version="test").validate())
    pl = export_prairielearn(out / "pl", PlatformConfig("prairielearn", notebooks=(NOTEBOOK,), version="test"),
                             image="example/ganbias-grader:1", timeout=300)
    return {"gradescope": gs, "prairielearn": pl}


def gradescope_container(bundle: Path, root: Path, files: dict[str, bytes]) -> Path:
    """``root`` laid out as Gradescope's container: the zip in autograder/source, the submission, results/."""
    source = root / "autograder" / "source"
    with zipfile.ZipFile(bundle) as archive:
        archive.extractall(source)
        for info in archive.infolist():  # zipfile drops the modes; Gradescope keeps them
            os.chmod(source / info.filename, info.external_attr >> 16)
    shutil.copy2(source / "run_autograder", root / "autograder" / "run_autograder")
    for name, data in files.items():
        path = root / "autograder" / "submission" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    (root / "autograder" / "results").mkdir(parents=True, exist_ok=True)
    return root / "autograder" / "run_autograder"


def prairielearn_container(question: Path, root: Path, files: dict[str, bytes]) -> Path:
    """``root`` laid out as PrairieLearn's grading container: the question's tests/ in grade/tests, grade/student."""
    shutil.copytree(question / "tests", root / "grade" / "tests")
    for name, data in files.items():
        path = root / "grade" / "student" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    entry = json.loads((question / "info.json").read_text())["externalGradingOptions"]["entrypoint"]
    return root / entry.lstrip("/")


def run_entry(entry: Path, root: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, GANBIAS_PLATFORM_ROOT=str(root), GANBIAS_PYTHON=sys.executable)
    proc = subprocess.run([str(entry)], env=env, capture_output=True, text=True, timeout=600, cwd=root)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc


def notebook_bytes(nb: dict, tmp: Path, name: str) -> bytes:
    return save(nb, tmp / name).read_bytes()


def gradescope_run(bundles: dict[str, Path], tmp_path: Path, files: dict[str, bytes]) -> dict:
    root = tmp_path / "container"
    run_entry(gradescope_container(bundles["gradescope"], root, files), root)
    results = json.loads((root / "autograder" / "results" / "results.json").read_text())
    jsonschema.validate(results, GRADESCOPE_RESULTS)
    assert results["stdout_visibility"] == "hidden"
    scored = [t for t in results["tests"] if "score" in t]
    assert results["score"] == pytest.approx(sum(t["score"] for t in scored))
    assert sum(t["max_score"] for t in scored) == 15
    for test in results["tests"]:
        want = "after_published" if test["name"].endswith("(hidden checks)") else "visible"
        assert test["visibility"] == want, test
    return results


@pytest.mark.slow
def test_bundles_have_what_the_platforms_need(bundles: dict[str, Path]) -> None:
    with zipfile.ZipFile(bundles["gradescope"]) as archive:
        modes = {i.filename: i.external_attr >> 16 for i in archive.infolist()}
    assert {"setup.sh", "run_autograder", "requirements.txt", "ganbias_platform.json"} <= set(modes)
    assert modes["setup.sh"] & 0o111 and modes["run_autograder"] & 0o111
    wheel = next(n for n in modes if n.endswith(".whl"))
    question = bundles["prairielearn"]
    info = json.loads((question / "info.json").read_text())
    jsonschema.validate(info, PRAIRIELEARN_INFO)
    assert info["externalGradingOptions"]["enableNetworking"] is False
    assert os.access(question / "tests" / "run_grader", os.X_OK)
    # optional patterns: any number of notebooks or zips (file-patterns would demand exactly one of each)
    assert 'optional-file-patterns="*.ipynb, *.zip"' in (question / "question.html").read_text()
    image = question.parent.parent / "grader-image"
    assert {"Dockerfile", "setup.sh", "requirements.txt", wheel} <= {p.name for p in image.iterdir()}
    setup = (image / "setup.sh").read_text()
    assert "download.pytorch.org/whl/cpu" in setup and "torch==" in setup
    pins = (image / "requirements.txt").read_text().splitlines()
    assert pins and all("==" in line for line in pins) and not any(line.startswith("nvidia") for line in pins)
    assert subprocess.run(["bash", "-n", str(image / "setup.sh")]).returncode == 0


@pytest.mark.slow
def test_wheel_is_the_whole_grader(tmp_path: Path) -> None:
    wheel = build_wheel(tmp_path)
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        record = archive.read("ganbias-0.1.0.dist-info/RECORD").decode()
    for needed in ("autograder/platforms.py", "autograder/course_cells.json", "autograder/manual_questions.json",
                   "autograder/items/nb04_fairness.py",
                   "ganbias_helpers/reference.py", "ganbias_helpers/weights/pretrained_celeba.pth",
                   "ganbias_helpers/weights/SHA256SUMS", "ganbias-0.1.0.dist-info/entry_points.txt"):
        assert needed in names
    assert not any("__pycache__" in n for n in names)
    assert all(n in record for n in names)
    torch, others = pinned_requirements()
    assert set(torch) == {"torch", "torchvision"} and "numpy" in others


@needs_isolation
@pytest.mark.slow
def test_gradescope_correct_submission(bundles: dict[str, Path], tmp_path: Path) -> None:
    # any file name; a copy of the ungraded notebook 01 alongside is fine
    files = {"my answers (final).ipynb": notebook_bytes(solution(NOTEBOOK), tmp_path, "a.ipynb")}
    results = gradescope_run(bundles, tmp_path, files)
    by_name = {t["name"]: t for t in results["tests"]}
    for name in FUNCTIONS:
        test = by_name[f"{NOTEBOOK}: {name}"]
        assert test["score"] == test["max_score"] == 1 and test["status"] == "passed"
        assert by_name[f"{NOTEBOOK}: {name} (hidden checks)"]["status"] == "passed"
    assert results["score"] == 3
    assert "02_steering.ipynb was not handed in" in by_name["02_steering: steering_step"]["output"]


@needs_isolation
@pytest.mark.slow
def test_gradescope_partly_wrong_submission_in_a_zip(bundles: dict[str, Path], tmp_path: Path) -> None:
    buffer = tmp_path / "upload.zip"
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("work/04_fairness.ipynb", json.dumps(wrong_fairness()))
        archive.writestr("../../escape.ipynb", "{}")
        archive.writestr("__MACOSX/._04_fairness.ipynb", "junk")
    results = gradescope_run(bundles, tmp_path, {"upload.zip": buffer.read_bytes()})
    by_name = {t["name"]: t for t in results["tests"]}
    wrong = by_name[f"{NOTEBOOK}: demographic_parity_gap"]
    assert wrong["score"] == 0 and wrong["status"] == "failed" and "checks passed" in wrong["output"]
    hidden = by_name[f"{NOTEBOOK}: demographic_parity_gap (hidden checks)"]
    assert hidden["status"] == "failed" and hidden["visibility"] == "after_published"
    assert by_name[f"{NOTEBOOK}: equalized_odds_gap"]["score"] == 1
    assert results["score"] == 2
    assert "points outside the archive" in results["output"]
    assert not (tmp_path / "escape.ipynb").exists() and not (tmp_path.parent / "escape.ipynb").exists()


@needs_isolation
@pytest.mark.slow
def test_gradescope_broken_submission_and_grader_failure(bundles: dict[str, Path], tmp_path: Path) -> None:
    results = gradescope_run(bundles, tmp_path, {"04_fairness.ipynb": b"{this is not json"})
    assert results["score"] == 0 and results["tests"]
    assert "04_fairness.ipynb" in results["output"]
    by_name = {t["name"]: t for t in results["tests"]}
    assert "not" in by_name[f"{NOTEBOOK}: demographic_parity_gap"]["output"]
    # the grader itself failing (here: a broken settings file) is a visible entry, never an empty page
    root = tmp_path / "container"
    (root / "autograder" / "source" / "ganbias_platform.json").write_text("{broken")
    run_entry(root / "autograder" / "run_autograder", root)
    failed = json.loads((root / "autograder" / "results" / "results.json").read_text())
    jsonschema.validate(failed, GRADESCOPE_RESULTS)
    assert failed["tests"][0]["name"] == "Grading failed" and failed["tests"][0]["visibility"] == "visible"
    assert failed["tests"][0]["max_score"] == 15 and "JSONDecodeError" in failed["output"]


def prairielearn_run(bundles: dict[str, Path], tmp_path: Path, files: dict[str, bytes]) -> dict:
    root = tmp_path / "container"
    run_entry(prairielearn_container(bundles["prairielearn"], root, files), root)
    target = root / "grade" / "results" / "results.json"
    assert target.stat().st_size < 2**20
    results = json.loads(target.read_text())
    jsonschema.validate(results, PRAIRIELEARN_RESULTS)
    if results["gradable"]:
        assert [t["name"] for t in results["tests"]] == [f"{NOTEBOOK}: {n}" for n in FUNCTIONS]
        total = sum(t["points"] for t in results["tests"])
        assert results["score"] == pytest.approx(total / sum(t["max_points"] for t in results["tests"]))
    return results


@needs_isolation
@pytest.mark.slow
def test_prairielearn_correct_and_partly_wrong(bundles: dict[str, Path], tmp_path: Path) -> None:
    files = {"fairness.ipynb": notebook_bytes(wrong_fairness(), tmp_path, "w.ipynb")}
    results = prairielearn_run(bundles, tmp_path / "wrong", files)
    tests = {t["name"].split(": ")[1]: t for t in results["tests"]}
    assert results["score"] == pytest.approx(2 / 3)
    assert tests["demographic_parity_gap"]["points"] == 0 and "hidden check" in tests["demographic_parity_gap"][
        "output"]
    assert tests["equal_opportunity_gap"]["points"] == 1


@needs_isolation
@pytest.mark.slow
def test_prairielearn_broken_submission_and_grader_failure(bundles: dict[str, Path], tmp_path: Path) -> None:
    results = prairielearn_run(bundles, tmp_path, {"04_fairness.ipynb": b"\x00\x01 not a notebook"})
    assert results["gradable"] is True and results["score"] == 0
    assert "04_fairness.ipynb" in results["output"]
    root = tmp_path / "container"
    (root / "grade" / "tests" / "ganbias_platform.json").write_text(json.dumps({"isolation": "none"}))
    run_entry(root / "grade" / "tests" / "run_grader", root)
    failed = json.loads((root / "grade" / "results" / "results.json").read_text())
    jsonschema.validate(failed, PRAIRIELEARN_RESULTS)
    assert failed["gradable"] is False and "isolation" in failed["output"]


def test_failure_results_follow_the_formats() -> None:
    jsonschema.validate(gradescope_failure("x" * 10, 15), GRADESCOPE_RESULTS)
    jsonschema.validate(prairielearn_failure("x" * 10**6), PRAIRIELEARN_RESULTS)
    assert len(json.dumps(prairielearn_failure("x" * 10**7))) < 2**20


def test_submission_is_read_safely(tmp_path: Path) -> None:
    upload = tmp_path / "upload"
    (upload / "deep" / "er").mkdir(parents=True)
    (upload / "deep" / "er" / "Copy of 04_fairness.ipynb").write_text("{}")
    (upload / "03_covariance.ipynb").write_text("{}")
    (upload / "notes.txt").write_text("ignored")
    (upload / "link.ipynb").symlink_to(upload / "03_covariance.ipynb")
    (upload / "dirlink").symlink_to(upload / "deep")
    with zipfile.ZipFile(upload / "more.zip", "w") as archive:
        archive.writestr("/abs/03_covariance.ipynb", "{}")  # same name as a loose file: kept apart
        archive.writestr("x/../../02_steering.ipynb", "{}")
        info = zipfile.ZipInfo("evil.ipynb")
        info.external_attr = 0o120777 << 16  # a symbolic link
        archive.writestr(info, "/etc/passwd")
        archive.writestr("big.ipynb", b" " * (26 * 2**20))
    files, problems = collect_submission(upload, tmp_path / "staged")
    names = sorted(p.name for p in files)
    assert names == ["02_steering.ipynb", "03_covariance (2).ipynb", "03_covariance.ipynb",
                     "Copy of 04_fairness.ipynb"]
    assert all(p.parent == tmp_path / "staged" for p in files)
    text = "\n".join(problems)
    for expected in ("link.ipynb is a symbolic link", "dirlink is a symbolic link", "evil.ipynb is a symbolic link",
                     "points outside the archive", "big.ipynb is over"):
        assert expected in text
    assert not (tmp_path / "02_steering.ipynb").exists()


def test_too_many_files_are_not_all_read(tmp_path: Path) -> None:
    upload = tmp_path / "upload"
    upload.mkdir()
    for i in range(MAX_FILES + 5):
        (upload / f"{i:03d}.ipynb").write_text("{}")
    files, problems = collect_submission(upload, tmp_path / "staged")
    assert len(files) == MAX_FILES and any("more than" in p for p in problems)
    files, problems = collect_submission(tmp_path / "missing", tmp_path / "staged2")
    assert not files and problems


@pytest.mark.slow
def test_pip_builds_the_package_without_setuptools_warnings(tmp_path: Path) -> None:
    """What `pip install .` builds (the bundles, Colab): no deprecation or missing-package warnings, weights in."""
    repo = Path(__file__).resolve().parent.parent
    tree = tmp_path / "tree"
    tree.mkdir()
    for name in ("pyproject.toml", "README.md", "ganbias_helpers", "autograder"):
        if (repo / name).is_dir():
            shutil.copytree(repo / name, tree / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(repo / name, tree / name)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    proc = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-v", "-w",
                           str(tmp_path / "dist"), str(tree)], capture_output=True, text=True, timeout=600, env=env)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    noisy = [line for line in (proc.stdout + proc.stderr).splitlines()
             if re.search(r"warning|deprecat|absent from", line, re.IGNORECASE)]
    assert noisy == []
    wheel = next((tmp_path / "dist").glob("ganbias-*.whl"))
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
    assert {"ganbias_helpers/weights/pretrained_celeba.pth", "ganbias_helpers/weights/SHA256SUMS",
            "autograder/course_cells.json", "autograder/platforms.py"} <= names


@pytest.mark.slow
def test_a_killed_grader_still_leaves_a_visible_failure(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """If the worker dies (the OOM killer in a small container), the supervisor writes the failure entry."""
    from autograder import platforms

    fake = tmp_path / "python"
    fake.write_text("#!/bin/sh\nkill -9 $$\n")
    fake.chmod(0o755)
    root = tmp_path / "root"
    (root / "autograder" / "source").mkdir(parents=True)
    (root / "autograder" / "source" / "ganbias_platform.json").write_text(json.dumps({"max_score": 3}))
    monkeypatch.setattr(platforms.sys, "executable", str(fake))
    assert platforms.supervise("gradescope", root) == 0
    results = json.loads((root / "autograder" / "results" / "results.json").read_text())
    jsonschema.validate(results, GRADESCOPE_RESULTS)
    assert results["tests"][0]["max_score"] == 3 and "SIGKILL" in results["output"]
    assert platforms.supervise("prairielearn", root) == 0
    failed = json.loads((root / "grade" / "results" / "results.json").read_text())
    jsonschema.validate(failed, PRAIRIELEARN_RESULTS)
    assert failed["gradable"] is False and "out of memory" in failed["output"]
