"""The answer key stays with the instructor: the student edition, the course secret, and no credit for delegating.

Tried as a student and as an instructor would:

* ``ganbias export student`` writes a folder and a wheel with none of: a hidden case's description or
  expected value (known here from the grader's hidden builders), a solution block, ``solutions/``,
  ``training_state/``, the grader;
* in a fresh virtual environment with only that wheel installed, the grader cannot be imported, and a
  release notebook filled in with the solution's answers runs headless with its visible checks passing;
  a wrong answer fails its check with the same message as in the instructor's environment;
* a submission hard-coding the public default hidden expected values gets their points without a
  secret and 0 with one; the same secret twice gives identical results files; two secrets give other
  hidden inputs and the same points for the solutions and a sample of the corpus;
* every public function of the package that computes a graded quantity is refused while a student's
  answer runs (in place and in the sandbox), and the feedback says why.
"""

from __future__ import annotations

import copy
import hashlib
import inspect
import json
import os
import subprocess
import sys
import sysconfig
import textwrap
from pathlib import Path

import numpy as np
import pytest
import torch
from agreement_support import class_notebook, corpus_class
from autograder_support import load, save, set_source, solution, source, why_delegating_answers_cannot_be_caught
from corpus_support import load_corpus

from autograder import sandbox
from autograder.grading import grade_batch
from autograder.items import all_items, cases_of, hidden_cases_of, item_named, items_of, visible_cases_of
from autograder.items import secret as secret_module
from autograder.student_edition import MARKER, StudentEditionError, audit, export_student
from ganbias_helpers import reference
from ganbias_helpers.checks import codec

ROOT = Path(__file__).resolve().parents[1]
SECRET_A, SECRET_B = "a course secret for the tests", "another course secret"


@pytest.fixture
def no_secret(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No course secret: neither the environment variable nor a secret file (whatever this checkout holds)."""
    monkeypatch.delenv(secret_module.SECRET_ENV, raising=False)
    monkeypatch.setattr(secret_module, "default_secret_path", lambda: tmp_path / "no_secret_here.txt")


@pytest.fixture(scope="module")
def edition(tmp_path_factory: pytest.TempPathFactory):  # noqa: ANN201 (a StudentEdition)
    return export_student(tmp_path_factory.mktemp("student") / "edition")


def _texts(edition) -> dict[str, str]:  # noqa: ANN001
    """Every text of the edition: its files and its wheel's members (binary weights left out)."""
    import zipfile

    texts = {}
    for path in edition.folder.rglob("*"):
        if path.is_file() and path.suffix not in (".whl", ".pth", ".npz", ".png"):
            texts[str(path.relative_to(edition.folder))] = path.read_text(encoding="utf-8", errors="replace")
    with zipfile.ZipFile(edition.wheel) as archive:
        for name in archive.namelist():
            if not name.endswith((".pth", ".npz", ".png")):
                texts[f"wheel:{name}"] = archive.read(name).decode("utf-8", "replace")
    return texts


def _numbers(value) -> list[float]:  # noqa: ANN001
    if isinstance(value, torch.Tensor):
        value = value.detach().double().numpy()
    if isinstance(value, (tuple, list)):
        return [x for v in value for x in _numbers(v)]
    arr = np.asarray(value, dtype=np.float64).ravel()
    return [float(x) for x in arr[:5]]


# --------------------------------------------------------------------------- the student edition


def test_the_student_edition_holds_no_answer_key(edition, no_secret) -> None:  # noqa: ANN001
    folder = edition.folder
    notebooks = sorted(p.name for p in (folder / "notebooks" / "ganbias").glob("*.ipynb"))
    assert notebooks == sorted(p.name for p in (ROOT / "notebooks" / "ganbias").glob("*.ipynb"))
    for needed in ("README.md", "pyproject.toml", "ganbias_helpers/checks/core.py", "ganbias_helpers/weights"):
        assert (folder / needed).exists(), needed
    for absent in ("autograder", "solutions", "training_state", "tests", "course_secret.txt"):
        assert not (folder / absent).exists(), absent
    texts = _texts(edition)
    assert not [n for n in texts if n.split(":")[-1].split("/")[0] in ("autograder", "solutions", "training_state")]
    assert not [n for n, t in texts.items() if "### BEGIN SOLUTION" in t or "### BEGIN HIDDEN TESTS" in t]
    assert audit(folder, edition.wheel) == []
    everything = "\n".join(texts.values())
    for secret in (None, SECRET_A):
        for item in all_items():
            for case in hidden_cases_of(item.name, secret):
                for quoted in (f'"{case.name}"', f"'{case.name}'"):
                    assert quoted not in everything, f"{item.name}: hidden case {case.name!r} is in the edition"
                for x in _numbers(case.expected):
                    if len(repr(x)) >= 10:  # a computed value, not a count, a flag or a short fraction
                        assert repr(x) not in everything and f"{x:.6f}" not in everything, \
                            f"{item.name}: the expected value of hidden case {case.name!r} is in the edition"
    assert "dist/" + edition.wheel.name in texts["README.md"]
    assert "raw/" in texts["notebooks/ganbias/04_fairness.ipynb"] and edition.wheel.name in \
        texts["notebooks/ganbias/04_fairness.ipynb"], "Colab must install the student edition's wheel"


def test_a_new_export_replaces_an_edition_and_refuses_other_folders(tmp_path: Path) -> None:
    other = tmp_path / "my_project"
    other.mkdir()
    (other / "notes.txt").write_text("mine")
    with pytest.raises(StudentEditionError, match="not empty"):
        export_student(other)
    assert (other / "notes.txt").read_text() == "mine"
    clone = tmp_path / "student-repo"
    (clone / ".git").mkdir(parents=True)
    (clone / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    (clone / MARKER).write_text("an earlier edition\n")
    (clone / "stale.py").write_text("left from the last edition")
    export_student(clone)
    assert (clone / ".git" / "HEAD").read_text() == "ref: refs/heads/main\n", ".git must be kept"
    assert not (clone / "stale.py").exists()
    assert len(list((clone / "dist").glob("*.whl"))) == 1


FRESH_DRIVER = textwrap.dedent("""
    import json, sys
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(sys.argv[1], as_version=4)
    NotebookClient(nb, timeout=600, allow_errors=True, kernel_name="python3").execute()
    errors = {}
    for cell in nb.cells:
        gid = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id", "")
        for out in cell.get("outputs", []):
            if out.get("output_type") == "error":
                errors[gid] = out["ename"] + ": " + out["evalue"]
    printed = "".join(o.get("text", "") for c in nb.cells for o in c.get("outputs", []) if o.get("name") == "stdout")
    json.dump({"errors": errors, "printed": printed}, open(sys.argv[2], "w"))
""")


@pytest.mark.slow
def test_only_the_student_edition_installed(edition, tmp_path: Path) -> None:  # noqa: ANN001
    fresh = tmp_path / "fresh"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(fresh)], check=True, timeout=300)
    python = fresh / "bin" / "python"
    site = Path(subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                               capture_output=True, text=True, check=True).stdout.strip())
    (site / "borrowed.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")  # the dependencies, read only
    # This pip installs into the fresh environment (--python): no pip of its own is needed there.
    subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "--quiet", "--no-deps",
                    "--no-index", str(edition.wheel)], check=True, timeout=300)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV", "GANBIAS_COURSE"))}
    env.update(GANBIAS_EXPERIMENT_SIZE="8,2", MPLBACKEND="Agg", OMP_NUM_THREADS="1", PATH=f"{fresh / 'bin'}:"
               + env.get("PATH", ""))
    probe = subprocess.run([str(python), "-c", textwrap.dedent("""
        import importlib.util, json, ganbias_helpers, ganbias_helpers.checks
        print(json.dumps({"autograder": importlib.util.find_spec("autograder") is not None,
                          "package": ganbias_helpers.__file__}))""")], capture_output=True, text=True, env=env,
                           cwd=tmp_path, check=True)
    found = json.loads(probe.stdout)
    assert found["autograder"] is False, "the grader must not be importable with only the student edition"
    assert found["package"].startswith(str(site)), found
    commands = subprocess.run([str(fresh / "bin" / "ganbias"), "--help"], capture_output=True, text=True, env=env,
                              check=True).stdout
    assert commands.split("{", 1)[1].split("}", 1)[0].split(",") == ["demo", "train", "evaluate"], commands

    # Notebook 04 as a student fills it in: the solution's answers, but one wrong gap.
    release = load(edition.folder / "notebooks" / "ganbias" / "04_fairness.ipynb")
    solved = solution("04_fairness")
    for cell in solved["cells"]:  # every answer cell, graded or not
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if meta.get("solution"):
            set_source(release, meta["grade_id"], source(solved, meta["grade_id"]))
    wrong = textwrap.dedent('''
        def demographic_parity_gap(y_true, y_pred, group):
            y_pred, group = np.asarray(y_pred), np.asarray(group)
            first, second = np.unique(group)[:2]
            return float(abs(np.mean(y_pred[group == first]) - np.mean(y_pred[group == second])))
    ''')
    set_source(release, "demographic_parity_gap", wrong)
    notebook = save(release, tmp_path / "work" / "04_fairness.ipynb")
    (tmp_path / "driver.py").write_text(FRESH_DRIVER)
    subprocess.run([str(python), str(tmp_path / "driver.py"), str(notebook), str(tmp_path / "report.json")],
                   env=env, cwd=notebook.parent, check=True, timeout=900, capture_output=True)
    report = json.loads((tmp_path / "report.json").read_text())
    assert set(report["errors"]) == {"test_demographic_parity_gap"}, report["errors"]
    for item in items_of("04_fairness"):
        if item.name != "demographic_parity_gap":
            assert f"{item.name}: all {len(visible_cases_of(item.name))} checks passed." in report["printed"]
    # The same message as the instructor's environment gives for the same answer.
    from ganbias_helpers.checks import check

    ns: dict = {}
    exec("import numpy as np\n" + wrong, ns)
    with pytest.raises(AssertionError) as here:
        check("demographic_parity_gap", namespace=ns)
    assert report["errors"]["test_demographic_parity_gap"] == f"AssertionError: {here.value}"
    assert "compare every group" in str(here.value), "the named mistake must reach the student"


# --------------------------------------------------------------------------- the course secret


def _signature(case) -> bytes:  # noqa: ANN001
    return codec.encode({"args": list(case.args), "kwargs": case.kwargs})


def test_the_secret_decides_the_hidden_inputs(no_secret) -> None:  # noqa: ANN001
    for item in all_items():
        a, again, b = (hidden_cases_of(item.name, s) for s in (SECRET_A, SECRET_A, SECRET_B))
        assert [_signature(c) for c in a] == [_signature(c) for c in again], f"{item.name}: not reproducible"
        assert all(x != y for x, y in zip(map(_signature, a), map(_signature, b))), \
            f"{item.name}: another secret must give other hidden inputs"
        public = hidden_cases_of(item.name)
        assert [_signature(c) for c in public] == [_signature(c) for c in hidden_cases_of(item.name, None)]
        assert [c.name for c in cases_of(item.name)] == [c.name for c in visible_cases_of(item.name) + public]


def test_the_secret_comes_from_the_environment_or_the_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                                           no_secret) -> None:  # noqa: ANN001
    assert secret_module.read_secret() is None
    path = secret_module.init_secret(tmp_path / "course_secret.txt")
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    with pytest.raises(FileExistsError):
        secret_module.init_secret(path)
    monkeypatch.setattr(secret_module, "default_secret_path", lambda: path)
    assert secret_module.read_secret() == path.read_text().strip() and len(secret_module.read_secret()) == 64
    monkeypatch.setenv(secret_module.SECRET_ENV, SECRET_B)
    assert secret_module.read_secret() == SECRET_B, "the environment wins over the file"
    private = ["course_secret.txt", "submitted/x/ganbias/a.ipynb", "autograded/x/ganbias/a.ipynb", "feedback/x/a.html",
               "grades/grades.csv", "canvas_gradebook_export.csv", "rosters/section1.csv", "bundles/autograder.zip",
               "pl/questions/ganbias/tests/course_secret.txt"]
    ignored = subprocess.run(["git", "check-ignore", "--no-index", *private], cwd=ROOT, capture_output=True,
                             text=True)
    assert ignored.stdout.split() == private, ".gitignore must cover the secret, nbgrader's folders, grades, rosters"
    kept = subprocess.run(["git", "check-ignore", "--no-index", "solutions/ganbias/04_fairness.ipynb",
                           "notebooks/ganbias/04_fairness.ipynb"], cwd=ROOT, capture_output=True, text=True)
    assert kept.stdout == ""


def test_the_bundles_carry_the_secret(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, no_secret) -> None:  # noqa: ANN001
    import stat
    import zipfile

    from autograder.export import export_gradescope, export_prairielearn
    from autograder.platforms import PlatformConfig

    monkeypatch.setenv(secret_module.SECRET_ENV, SECRET_A)
    zipped = export_gradescope(tmp_path / "gs", PlatformConfig("gradescope", version="test").validate())
    with zipfile.ZipFile(zipped) as archive:
        info = archive.getinfo("course_secret.txt")
        assert archive.read(info).decode().strip() == SECRET_A
        assert stat.S_IMODE(info.external_attr >> 16) == 0o600, "only root may read the secret in the container"
    question = export_prairielearn(tmp_path / "pl", PlatformConfig("prairielearn", version="test").validate(),
                                   image="me/grader:1")
    assert (question / "tests" / "course_secret.txt").read_text().strip() == SECRET_A
    assert not list((tmp_path / "pl" / "grader-image").rglob("course_secret.txt")), "the image may be public"
    # The entry point hands the secret to the grader (a stand-in Python records what it got).
    stand_in = tmp_path / "python"
    stand_in.write_text(f'#!/bin/sh\nprintf "%s" "$GANBIAS_COURSE_SECRET" > {tmp_path / "got"}\n')
    stand_in.chmod(0o755)
    env = {k: v for k, v in os.environ.items() if k != secret_module.SECRET_ENV}
    for script in (tmp_path / "gs" / "gradescope-autograder" / "run_autograder", question / "tests" / "run_grader"):
        (tmp_path / "got").unlink(missing_ok=True)
        subprocess.run(["bash", str(script)], env={**env, "GANBIAS_PYTHON": str(stand_in)}, check=True, timeout=60)
        assert (tmp_path / "got").read_text() == SECRET_A, script


def _lookup_answers(secret: str | None) -> str:
    """Notebook 04's three gaps as a student who copied every known case's expected value would write them."""
    cells = []
    for item in items_of("04_fairness"):
        table = {}
        for case in cases_of(item.name, secret):
            key = hashlib.sha256(json.dumps([np.asarray(a).tolist() for a in case.args]).encode()).hexdigest()
            table[key] = float(case.expected)
        cells.append(textwrap.dedent(f'''
            import hashlib, json
            import numpy as np

            KNOWN_{item.name.upper()} = {table!r}

            def {item.name}(y_true, y_pred, group):
                key = hashlib.sha256(json.dumps([np.asarray(a).tolist() for a in (y_true, y_pred, group)]).encode())
                return KNOWN_{item.name.upper()}.get(key.hexdigest(), 0.0)
        '''))
    return "\n".join(cells)


def _corpus_sample() -> list:
    chosen, seen = [], {}
    for entry in load_corpus():
        notebook = item_named(entry.function).notebook
        if notebook in ("03_covariance", "04_fairness", "05_sources_of_bias"):
            key = (entry.function, entry.kind)
            if seen.get(key, 0) < 1:
                seen[key] = seen.get(key, 0) + 1
                chosen.append(entry)
    return chosen


def _results(out: Path) -> dict[str, object]:
    files = {}
    for path in sorted(out.rglob("*")):
        if path.is_file() and path.name != "grading.json":
            data = path.read_text(encoding="utf-8")
            if path.parent.name == "results":
                loaded = json.loads(data)
                loaded.pop("seconds")  # how long grading took, not what it found
                data = json.dumps(loaded)
            files[str(path.relative_to(out))] = data
    return files


@pytest.mark.slow
def test_grading_under_secrets(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, no_secret) -> None:  # noqa: ANN001
    if why := why_delegating_answers_cannot_be_caught():
        pytest.skip(why)
    root = tmp_path / "submitted"
    expected: dict[str, dict[str, float]] = {"solution": {}}  # student -> graded function -> fair points
    for notebook in ("03_covariance", "04_fairness", "05_sources_of_bias"):
        save(solution(notebook), root / "solution" / f"{notebook}.ipynb")
        expected["solution"] |= {i.name: i.points for i in items_of(notebook)}
    # The sample dealt out as a class (agreement_support.corpus_class): several answers per notebook.
    for student, notebooks in corpus_class(_corpus_sample()).items():
        expected[student] = {}
        for notebook, mine in notebooks.items():
            save(class_notebook(mine, notebook), root / student / f"{notebook}.ipynb")
            expected[student] |= {i.name: i.points for i in items_of(notebook)}
            for entry in mine:
                expected[student] |= entry.points
    hard_coded = copy.deepcopy(solution("04_fairness"))
    for item in items_of("04_fairness"):
        set_source(hard_coded, item.name, "")
    set_source(hard_coded, "demographic_parity_gap", _lookup_answers(None))
    save(hard_coded, root / "copied-public-defaults" / "04_fairness.ipynb")
    delegating = copy.deepcopy(solution("04_fairness"))
    set_source(delegating, "equalized_odds_gap", textwrap.dedent('''
        from ganbias_helpers.fairness import gaps_with_intervals

        def equalized_odds_gap(y_true, y_pred, group):
            return float(gaps_with_intervals(y_true, y_pred, group, n_boot=1)["gap"].iloc[1])
    '''))
    save(delegating, root / "delegating-fairness-helper" / "04_fairness.ipynb")
    handed_in = {folder.name: {p.stem for p in folder.glob("*.ipynb")} for folder in root.iterdir()}
    isolation = sandbox.choose_isolation(trusted=True)

    def grade(secret: str | None, out: str, only: tuple[str, ...] = ()) -> dict[str, dict[str, float]]:
        """Grade the class (``only``: these students of it) under ``secret``; student -> function -> points."""
        if secret is None:
            monkeypatch.delenv(secret_module.SECRET_ENV, raising=False)
        else:
            monkeypatch.setenv(secret_module.SECRET_ENV, secret)
        folders = [root / s for s in only] if only else [root]
        summary = grade_batch(folders, tmp_path / out, jobs=2, progress=False, force=True, isolation=isolation)
        meta = json.loads((tmp_path / out / "grading.json").read_text())
        assert meta["hidden_cases"] == ("public defaults" if secret is None else "course secret")
        assert ("PUBLIC DEFAULTS" in summary.text()) is (secret is None), summary.text()
        return {g.student: {f.name: f.points for f in g.functions if f.notebook in handed_in[g.student]}
                for g in summary.grades}

    # Under the public defaults, the copied values pass (the fair answers' points there: tests/test_corpus.py).
    special = ("copied-public-defaults", "delegating-fairness-helper", "solution")
    public = grade(None, "public", only=special)
    assert public["copied-public-defaults"] == {"demographic_parity_gap": 1, "equalized_odds_gap": 1,
                                                "equal_opportunity_gap": 1}, "the copied values pass without a secret"
    first, other = grade(SECRET_A, "a"), grade(SECRET_B, "b")
    assert first["copied-public-defaults"] == {"demographic_parity_gap": 0, "equalized_odds_gap": 0,
                                               "equal_opportunity_gap": 0}, "copied values must fail under a secret"
    again = (*special, "corpus-student-001", "corpus-student-002")  # the same secret again, for some of the class
    second = grade(SECRET_A, "a-again", only=again)
    assert second == {s: first[s] for s in again}
    mine = {key: data for key, data in _results(tmp_path / "a").items() if Path(key).stem in again}
    assert mine == {key: data for key, data in _results(tmp_path / "a-again").items() if Path(key).stem in again}, \
        "same secret: identical results files"
    assert len(mine) >= 2 * len(again), sorted(mine)
    assert json.loads((tmp_path / "a" / "grading.json").read_text())["hidden_cases_fingerprint"] == \
        secret_module.fingerprint(SECRET_A)
    for student in special:
        assert public[student] == first[student] or student == "copied-public-defaults", student
    for student, points in expected.items():
        assert first[student] == points == other[student], student
    assert first["delegating-fairness-helper"]["equalized_odds_gap"] == 0
    # nbgrader's way, under the same secret: the visible and hidden checks in place, as the test cells run them.
    from autograder.hidden import check_hidden
    from ganbias_helpers.checks import check

    monkeypatch.setenv(secret_module.SECRET_ENV, SECRET_A)
    dealt = {entry.name: student for student, notebooks in corpus_class(_corpus_sample()).items()
             for mine in notebooks.values() for entry in mine}
    for entry in _corpus_sample():
        ns: dict = {}
        exec("import numpy as np\nimport torch\n", ns)
        for src in entry.cells.values():
            exec(compile(src, entry.name, "exec"), ns)
        for fn in entry.points:
            try:
                check(fn, namespace=ns)
                check_hidden(fn, namespace=ns)
                passed = True
            except AssertionError:
                passed = False
            assert passed == (first[dealt[entry.name]][fn] == item_named(fn).points), (entry.name, fn)
    feedback = (tmp_path / "a" / "feedback" / "delegating-fairness-helper.txt").read_text()
    assert "write the computation yourself" in feedback, feedback


# --------------------------------------------------------------------------- no credit for delegating

#: Every public function of the package that computes a graded quantity, with a call of it on valid inputs.
#: Each must be refused while a student's answer runs.
def _graded_paths(tmp: Path):  # noqa: ANN202
    import matplotlib.pyplot as plt

    from ganbias_helpers import demo, fairness, mitigation, steering, steering_view
    from ganbias_helpers.checks.core import cpu_models

    gen, classifier = cpu_models()
    y = np.array([1, 0, 1, 1, 0, 0, 1, 0])
    p = np.array([1, 0, 0, 1, 1, 0, 1, 0])
    g = np.array([0, 0, 0, 0, 1, 1, 1, 1])
    noise = torch.randn(2, gen.z_dim, generator=torch.Generator().manual_seed(0))
    labels = np.stack([y] * 40, axis=1)
    return {
        fairness.gaps_with_intervals: lambda: fairness.gaps_with_intervals(y, p, g, n_boot=2),
        fairness.gap_report: lambda: fairness.gap_report(labels, labels, g, ["Male"], n_boot=2),
        fairness.shuffled_gap_test: lambda: fairness.shuffled_gap_test(y, p, g, n_shuffles=2),
        fairness.threshold_optimizer_tradeoff: lambda: fairness.threshold_optimizer_tradeoff(
            np.tile(y, 8), np.tile(p, 8), np.tile(g, 8), mix=(0.0,)),
        mitigation.partial_hold_direction: lambda: mitigation.partial_hold_direction(gen, classifier, noise, 20, 36,
                                                                                    0.0),
        mitigation.hold_tradeoff: lambda: mitigation.hold_tradeoff(gen, classifier, 20, 36, (0.0,), n_images=2,
                                                                   steps=1),
        steering.steer: lambda: steering.steer(gen, classifier, "Male", n_images=2, steps=1),
        steering_view.steer_faces: lambda: steering_view.steer_faces(gen, classifier, "Male", steps=1, n_faces=2),
        steering_view.steer_and_show: lambda: plt.close(steering_view.steer_and_show(gen, classifier, "Male",
                                                                                      steps=1, n_faces=2)),
        steering_view.steering_view: lambda: steering_view.steering_view(gen, classifier, "Male"),
        demo.run_demo: lambda: demo.run_demo("Male", 2, 1, 0.1, 0, "cpu", str(tmp / "demo"), 3, progress=False),
    }


#: The package's other public functions, each with why it computes no graded quantity.
NOT_GRADED = {
    "fairness.group_table": "per-group counts and rates from fairlearn's MetricFrame, which students may use",
    "fairness.intersection_groups": "names four groups; no metric",
    "fairness.split_halves": "a seeded split of row indices",
    "fairness.threshold_optimized_predictions": "fairlearn's ThresholdOptimizer's predictions; no gap",
    "fairness.wilson_interval": "an interval for one rate from two counts; no gap",
    "fairness.permutation_p_value": "(b + 1) / (m + 1) from statistics it is given",
    "fairness.balanced_accuracy": "the mean of two recalls per attribute column; not the per-class recalls",
    "steering_view.describe_steering": "a figure's text description from changes it is given",
    "steering.frozen": "puts models in eval mode without gradients",
    "steering.fused_copy": "a copy of a model with batch norms folded in",
    "steering_view.figure_output": "a figure as a notebook output",
}


def test_every_graded_quantity_of_the_package_is_refused_in_place(tmp_path: Path) -> None:
    import ganbias_helpers.demo
    import ganbias_helpers.fairness
    import ganbias_helpers.mitigation
    import ganbias_helpers.steering
    import ganbias_helpers.steering_view

    paths = _graded_paths(tmp_path)
    named = {f"{f.__module__.rsplit('.', 1)[-1]}.{f.__name__}" for f in paths}
    modules = (ganbias_helpers.fairness, ganbias_helpers.mitigation, ganbias_helpers.steering,
               ganbias_helpers.steering_view, ganbias_helpers.demo)
    public = {f"{m.__name__.rsplit('.', 1)[-1]}.{name}" for m in modules for name, f in vars(m).items()
              if inspect.isfunction(f) and f.__module__ == m.__name__ and not name.startswith("_")}
    undecided = public - named - set(NOT_GRADED)
    assert not undecided, f"decide whether these compute a graded quantity (_graded_paths or NOT_GRADED): {undecided}"
    for fn, call in paths.items():
        call()  # works outside a student's answer
        with reference.refused(), pytest.raises(reference.DelegationError, match="write the computation yourself"):
            call()
            pytest.fail(f"{fn.__module__}.{fn.__name__} gave a graded quantity while an answer ran")


def test_every_piece_of_the_checks_is_refused_while_an_answer_runs() -> None:
    """The checks' named mistakes and case makers are built of the right computations (``_gap(_rates(...))`` is
    the parity gap): an answer calling one earns nothing in a notebook's check, in nbgrader and in ganbias grade."""
    import importlib

    from ganbias_helpers.checks.items import MODULES

    for name in MODULES:
        module = importlib.import_module(f"ganbias_helpers.checks.{name}")
        own = {n: f for n, f in vars(module).items() if inspect.isfunction(f) and f.__module__ == module.__name__}
        assert own, module.__name__
        unmarked = sorted(n for n, f in own.items() if not getattr(f, "refused_in_answers", False))
        assert not unmarked, f"{module.__name__}: mark these @checks_piece: {unmarked}"


def test_an_answer_built_of_the_checks_pieces_fails_its_own_check(capsys: pytest.CaptureFixture[str]) -> None:
    from ganbias_helpers.checks import check, nb04_fairness

    def demographic_parity_gap(y_true, y_pred, group):  # noqa: ANN001, ANN202
        return nb04_fairness._gap(nb04_fairness._rates(y_true, y_pred, group, None))

    with pytest.raises(AssertionError):
        check("demographic_parity_gap", {"demographic_parity_gap": demographic_parity_gap})
    assert "a piece of the course package's checks (ganbias_helpers.checks.nb04_fairness._rates)" in \
        capsys.readouterr().out


def _odds_from_the_fairness_helpers(y_true, y_pred, group):  # noqa: ANN001, ANN202
    from ganbias_helpers.fairness import _rates_per_group

    _, codes = np.unique(np.asarray(group), return_inverse=True)
    rates = np.nan_to_num(_rates_per_group(np.asarray(y_true)[None].astype(int), np.asarray(y_pred)[None].astype(int),
                                           codes[None], int(codes.max()) + 1)[0])
    return float(max(np.ptp(rates[1]), np.ptp(rates[2])))


def _opportunity_unwrapped(y_true, y_pred, group):  # noqa: ANN001, ANN202
    from ganbias_helpers.checks import nb04_fairness as c

    return c._gap.__wrapped__(c._rates.__wrapped__(y_true, y_pred, group, 1))


@pytest.mark.parametrize(("name", "answer", "said"), [
    ("equalized_odds_gap", _odds_from_the_fairness_helpers,
     "a piece of the course package's helpers (ganbias_helpers.fairness._rates_per_group)"),
    ("equal_opportunity_gap", _opportunity_unwrapped, "__wrapped__"),
])
def test_an_answer_built_of_the_package_s_helpers_fails_its_own_check(name: str, answer, said: str,  # noqa: ANN001
                                                                       capsys: pytest.CaptureFixture[str]) -> None:
    """Found by trying the student edition: the fairness helpers' rates, and a marked function's __wrapped__."""
    from ganbias_helpers.checks import check

    with pytest.raises(AssertionError):
        check(name, {name: answer})
    assert said in capsys.readouterr().out


def test_the_sandbox_s_fairness_helpers_have_no_rates() -> None:
    from autograder.sandbox import bodiless_pieces_source
    from ganbias_helpers import fairness

    namespace: dict = {}
    source = bodiless_pieces_source(Path(fairness.__file__).read_text(encoding="utf-8"))
    exec(compile(source.replace("from .reference import", "from ganbias_helpers.reference import"),  # noqa: S102
                 "fairness.py", "exec"), namespace)
    with pytest.raises(RuntimeError, match="no bodies"):
        namespace["_rates_per_group"](np.zeros((1, 4), int), np.zeros((1, 4), int), np.zeros((1, 4), int), 1)
    assert callable(namespace["group_table"])  # the rest of the module is whole


# --------------------------------------------------------------------------- the layout


def _imports() -> dict[str, set[str]]:
    """Module -> the course's modules it imports, at any level of its code (function-level imports too)."""
    import ast

    modules = {}
    for package in ("ganbias_helpers", "autograder"):
        for path in (ROOT / package).rglob("*.py"):
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            modules[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    edges: dict[str, set[str]] = {m: set() for m in modules}
    for module, path in modules.items():
        base = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                start = base[:len(base) - node.level + 1] if node.level else []
                where = ".".join(start + ([node.module] if node.module else []))
                targets = [t for t in (f"{where}.{a.name}" for a in node.names) if t in modules] or [where]
            else:
                continue
            # Importing a module runs its packages' __init__ first: not a dependency on them.
            edges[module] |= {t for t in targets if t in modules and t != module and not module.startswith(t + ".")}
    return edges


def test_no_import_cycles_and_the_student_package_never_imports_the_grader() -> None:
    edges = _imports()
    assert not [(m, t) for m, ts in edges.items() if m.startswith("ganbias_helpers") for t in ts
                if t.startswith("autograder")], "the student package must not import the grader"

    def reaches(start: str, goal: str, seen: set[str]) -> bool:
        return any(t == goal or (t not in seen and not seen.add(t) and reaches(t, goal, seen)) for t in edges[start])

    cycles = sorted(m for m in edges if reaches(m, m, set()))
    assert not cycles, f"modules on an import cycle: {cycles}"
