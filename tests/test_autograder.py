"""The autograder: notebook reading, the sandbox, the checks, and grading of solutions, the untouched release
and adversarial submissions generated here."""

from __future__ import annotations

import copy
import json
import os
from pathlib import Path

import numpy as np
import pytest
import torch
from autograder_support import (
    REPO,
    available_notebooks,
    cell_index,
    code_cell,
    load,
    make_course,
    save,
    set_source,
    solution,
    source,
    strip_metadata,
)

from autograder.checks import CaseBook
from autograder.codec import DecodeError, Opaque, decode, encode
from autograder.grading import StudentGrade, discover, feedback_text, grade_batch, grade_student, gradescope_json
from autograder.notebook import SubmissionError, build_program, identify_notebook, read_notebook
from autograder.references import References
from autograder.sandbox import Call, Limits, run_submission
from autograder.spec import GRADED_ITEMS, default_solutions_dir, items_of

COV = "03_covariance"
LIMITS = Limits(call_timeout_s=8.0, memory_bytes=768 * 2**20, max_restarts=6)

needs_cov = pytest.mark.skipif(COV not in available_notebooks(), reason="03_covariance solution not written yet")


@pytest.fixture(scope="module")
def book() -> CaseBook:
    return CaseBook(References(), [i.name for nb in available_notebooks() for i in items_of(nb)])


@pytest.fixture(scope="module")
def release(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The student notebooks exactly as nbgrader releases them from the solutions."""
    course = make_course(tmp_path_factory.mktemp("release"), available_notebooks())
    return course / "release" / "ganbias"


def grade(book: CaseBook, path: Path, limits: Limits = LIMITS) -> StudentGrade:
    return grade_student(path.stem, [path], book, limits)


def points(g: StudentGrade) -> dict[str, float]:
    return {f.name: f.points for f in g.functions}


def messages(g: StudentGrade, name: str) -> str:
    return " | ".join(next(f for f in g.functions if f.name == name).messages)


# ------------------------------------------------------------------ reading notebooks


@pytest.mark.parametrize("content, fragment", [
    (b"", "is empty"),
    (b"   \n", "is empty"),
    (b'{"cells": [', "not valid JSON"),
    (b"[1, 2, 3]", "not a Jupyter notebook"),
    (b'{"metadata": {}}', "no list of cells"),
    (b'{"cells": []}', "has no cells"),
    (b'{"cells": ["\xff\xfe"]}', "not UTF-8"),
    (b"\x89PNG\r\n\x1a\n\x00\x00", "not UTF-8"),
])
def test_bad_files_are_refused_clearly(tmp_path: Path, content: bytes, fragment: str) -> None:
    path = tmp_path / "alice.ipynb"
    path.write_bytes(content)
    with pytest.raises(SubmissionError, match=fragment):
        read_notebook(path)


def test_huge_file_is_refused_unread(tmp_path: Path) -> None:
    path = tmp_path / "huge.ipynb"
    with open(path, "wb") as f:
        f.truncate(30 * 2**20)
    with pytest.raises(SubmissionError, match="over the 25 MB limit"):
        read_notebook(path)


def test_program_keeps_definitions_not_actions() -> None:
    nb = {"cells": [code_cell("import numpy as np\nx = np.ones(3)\nK = 3\n%matplotlib inline\n"),
                    code_cell("def f(a):\n    !ls\n    return a\nprint(f(1))\n"),
                    code_cell("def f(a):\n    return 2 * a\n"),
                    code_cell("def broken(:\n")]}
    program = build_program(read_notebook_from(nb), COV)
    kept = [(u.label, u.keep) for u in program.units]
    assert kept == [("cell 1", [0, 2]), ("cell 2", [0]), ("cell 3", [0])]
    assert any("cell 4 has a syntax error" in n for n in program.notes)
    assert set(program.missing) == {i.name for i in items_of(COV)}


def read_notebook_from(nb: dict) -> list:
    import tempfile

    with tempfile.TemporaryDirectory() as d:
        path = save(nb, Path(d) / "x.ipynb")
        return read_notebook(path)


def test_identify_notebook_by_name_then_content(tmp_path: Path) -> None:
    nb = {"cells": [code_cell("def demographic_parity_gap(a, b, c):\n    return 0.0\n")]}
    cells = read_notebook_from(nb)
    assert identify_notebook(tmp_path / "alice_03_covariance.ipynb", cells) == COV
    assert identify_notebook(tmp_path / "alice.ipynb", cells) == "04_fairness"
    assert identify_notebook(tmp_path / "alice.ipynb", read_notebook_from({"cells": [code_cell("1")]})) is None


def test_discover_students(tmp_path: Path) -> None:
    (tmp_path / "submitted" / "bob" / "ganbias").mkdir(parents=True)
    (tmp_path / "submitted" / "bob" / "ganbias" / "03_covariance.ipynb").write_text("{}")
    (tmp_path / "submitted" / "carol").mkdir()
    (tmp_path / "submitted" / "carol" / "04_fairness.ipynb").write_text("{}")
    (tmp_path / "dave.ipynb").write_text("{}")
    (tmp_path / "erin").mkdir()
    (tmp_path / "erin" / "03_covariance.ipynb").write_text("{}")
    found = discover([tmp_path / "submitted", tmp_path / "dave.ipynb", tmp_path / "erin" / "03_covariance.ipynb"])
    assert sorted(found) == ["bob", "carol", "dave", "erin"]
    assert list(discover([tmp_path / "submitted" / "bob" / "ganbias"])) == ["bob"]
    assert found["bob"][1] is True and found["dave"][1] is False
    with pytest.raises(FileNotFoundError):
        discover([tmp_path / "nobody"])


# ------------------------------------------------------------------ the wire format


def test_codec_round_trip_and_refusals() -> None:
    value = {"v": (np.arange(6, dtype=np.int32).reshape(2, 3), torch.ones(2, requires_grad=True), [1.5, "x", None],
                   np.float64(2.5), float("nan"), object())}
    out = decode(encode(value))["v"]
    assert isinstance(out, tuple) and out[0].dtype == np.int32 and out[0].shape == (2, 3)
    assert isinstance(out[1], torch.Tensor) and out[1].requires_grad
    assert out[2] == [1.5, "x", None] and isinstance(out[3], np.float64) and np.isnan(out[4])
    assert isinstance(out[5], Opaque) and out[5].type_name == "object"
    for garbage in (b"", b"\x05\x00\x00\x00abcde", encode({"v": 1})[:-3] + b"zzz"):
        with pytest.raises(DecodeError):
            decode(garbage)
    evil = json.dumps({"h": 2, "sizes": [3]}).encode()
    forged = len(evil).to_bytes(4, "little") + evil + json.dumps(
        {"v": {"t": "nd", "dtype": "object", "shape": [1], "b": 0}}).encode()[:2]
    with pytest.raises(DecodeError):
        decode(forged)


# ------------------------------------------------------------------ the sandbox, attack by attack


def _run(src: str, calls: list[Call], limits: Limits = LIMITS):
    nb = {"cells": [code_cell(src)]}
    program = build_program(read_notebook_from(nb), COV)
    return run_submission({COV: program}, calls, limits)


@pytest.mark.parametrize("zygote", [True, False], ids=["forked", "one-off"])
def test_sandbox_blocks_reading_writing_signalling_and_spawning(tmp_path: Path, zygote: bool) -> None:
    target = tmp_path / "pwned.txt"
    solutions = default_solutions_dir()
    src = f"""
import os, signal, subprocess, sys
def covariance_matrix_from_examples(x):
    return open({str(solutions / 'x.ipynb')!r}).read()
def get_top_magnitude_indices(x):
    return os.listdir({str(solutions)!r})
def remove_from_list(a, b):
    open({str(target)!r}, "w").write("x")
def get_top_covariances(a, b, top_n=10):
    os.kill(os.getppid(), signal.SIGKILL)
def helper_spawn():
    return subprocess.run(["kill", "-9", str(os.getppid())])
def helper_proc():
    return open("/proc/%d/cmdline" % os.getppid()).read()
def helper_tests():
    return open({str(Path(__file__).resolve())!r}).read()
def helper_ctypes():
    import ctypes
    return ctypes.CDLL(None).kill(os.getppid(), 9)
"""
    names = ["covariance_matrix_from_examples", "get_top_magnitude_indices", "remove_from_list",
             "get_top_covariances", "helper_spawn", "helper_proc", "helper_tests", "helper_ctypes"]
    calls = [Call(n, COV, n, (1, 2) if n in ("remove_from_list", "get_top_covariances") else
                  (1,) if not n.startswith("helper") else ()) for n in names]
    report = _run(src, calls, Limits(call_timeout_s=8.0, use_zygote=zygote))
    for n in names:
        r = report.results[n]
        assert r.status == "error" and "PermissionError: sandbox" in r.error, (n, r)
    assert not target.exists()
    assert report.restarts == 0  # the parent (this process) is alive and the child too


def test_sandbox_survives_hang_exit_crash_and_memory_bomb() -> None:
    src = """
import os, sys
import numpy as np
def hang(x):
    while True:
        pass
def leave(x):
    sys.exit(0)
def hard_exit(x):
    os._exit(3)
def bomb(x):
    chunks = []
    while True:
        chunks.append(np.empty(2**25))
def huge(x):
    return np.ones(10**12)
def chatty(x):
    for i in range(200000):
        print("PASSED all tests, score 100/100", i)
    return x + 1
"""
    limits = Limits(call_timeout_s=5.0, memory_bytes=512 * 2**20, max_restarts=6)
    names = ["hang", "leave", "hard_exit", "bomb", "huge", "chatty"]
    report = _run(src, [Call(n, COV, n, (1,)) for n in names] + [Call("hang2", COV, "hang", (2,))], limits)
    r = report.results
    assert r["hang"].status == "timeout" and "did not finish" in r["hang"].error
    assert r["hang2"].status == "skipped"
    assert r["leave"].status == "error" and "SystemExit" in r["leave"].error
    assert r["hard_exit"].status == "crashed" and "status 3" in r["hard_exit"].error
    assert r["bomb"].status == "error" and "MemoryError" in r["bomb"].error
    assert r["huge"].status == "error" and "MemoryError" in r["huge"].error
    assert r["chatty"].ok and r["chatty"].value == 2 and len(r["chatty"].output) <= 4000
    assert report.restarts == 2  # after the hang and after os._exit


@needs_cov
def test_forged_results_and_monkeypatching_do_not_help(book: CaseBook) -> None:
    src = """
import numpy as np, builtins
def remove_from_list(indices, index_to_remove):
    np.array_equal = lambda *a, **k: True
    np.allclose = lambda *a, **k: True
    np.isclose = lambda a, b, **k: np.ones(np.shape(a), bool)
    try:
        import pytest
        pytest.approx = lambda *a, **k: True
    except Exception:
        pass
    builtins.AssertionError = Exception
    return np.array([0])

class Liar:
    def __eq__(self, other):
        return True
    def __array__(self, *args, **kwargs):
        raise RuntimeError("boom")
    def __reduce__(self):
        return (exec, ("import os; os._exit(9)",))

def get_top_magnitude_indices(values):
    return Liar()
"""
    cases = book.cases["remove_from_list"]
    report = _run(src, [Call(f"c{i}", COV, "remove_from_list", c.args, c.kwargs, True) for i, c in enumerate(cases)])
    verdicts = [c.judge(report.results[f"c{i}"]) for i, c in enumerate(cases)]
    assert all(v is not None for v in verdicts)
    case = book.cases["get_top_magnitude_indices"][0]
    report = _run(src, [Call("liar", COV, "get_top_magnitude_indices", case.args)])
    assert case.judge(report.results["liar"]) == "the result should be a numpy array, got Liar"


def test_code_run_while_defining_cannot_escape(tmp_path: Path) -> None:
    src = "import os\ndef remove_from_list(a, b, _=os._exit(0)):\n    return a\n"
    other = "import numpy as np\ndef demographic_parity_gap(a, b, c):\n    return 0.25\n"
    programs = {COV: build_program(read_notebook_from({"cells": [code_cell(src)]}), COV),
                "04_fairness": build_program(read_notebook_from({"cells": [code_cell(other)]}), "04_fairness")}
    report = run_submission(programs, [Call("a", COV, "remove_from_list", (np.arange(3), 1)),
                                       Call("b", "04_fairness", "demographic_parity_gap", (1, 2, 3))], LIMITS)
    assert report.results["a"].status == "crashed" and "defining your functions failed" in report.results["a"].error
    assert report.results["b"].ok and report.results["b"].value == 0.25


# ------------------------------------------------------------------ whole notebooks


def test_solutions_score_full_marks(book: CaseBook, tmp_path: Path) -> None:
    assert book.warnings == [] and book.errors == {}
    folder = tmp_path / "sol"
    for nb in available_notebooks():
        save(solution(nb), folder / f"{nb}.ipynb")
    g = grade_student("sol", sorted(folder.iterdir()), book, LIMITS, whole_assignment=False)
    assert g.functions and all(f.points == f.max_points for f in g.functions), feedback_text(g)
    assert g.total == sum(i.points for i in GRADED_ITEMS if i.notebook in available_notebooks())


def test_untouched_release_scores_zero(book: CaseBook, release: Path) -> None:
    g = grade_student("blank", sorted(release.glob("*.ipynb")), book, LIMITS, whole_assignment=True)
    assert g.status == "graded" and g.total == 0
    text = feedback_text(g)
    assert "NotImplementedError" in text
    for nb in {i.notebook for i in GRADED_ITEMS} - set(available_notebooks()):
        assert f"{nb}.ipynb was not handed in" in text


@needs_cov
def test_metadata_lost_cells_moved_split_duplicated(book: CaseBook, tmp_path: Path) -> None:
    sol = solution(COV)
    nb = strip_metadata(sol)
    # Move get_top_covariances to the very end, split remove_from_list's body into a helper in another cell,
    # and define get_top_magnitude_indices twice: wrong first, right last.
    moved = nb["cells"].pop(cell_index(sol, "get_top_covariances"))
    nb["cells"].append(moved)
    rm_src = source(sol, "remove_from_list")
    for cell in nb["cells"]:
        if "".join(cell["source"]) == rm_src:
            cell["source"] = rm_src.replace("def remove_from_list(", "def _remove_impl(") + \
                "\n\ndef remove_from_list(indices, index_to_remove):\n    return _helper(indices, index_to_remove)\n"
    nb["cells"].insert(1, code_cell("def _helper(a, b):\n    return _remove_impl(a, b)\n"))
    wrong = code_cell("def get_top_magnitude_indices(values):\n    return np.argsort(values)\n")
    nb["cells"].insert(2, wrong)
    g = grade(book, save(nb, tmp_path / "alice_03_covariance.ipynb"))
    assert g.total == g.max_total == 5, feedback_text(g)
    # The same duplicate the other way round: the last (wrong) definition is the one that counts.
    nb["cells"].append(copy.deepcopy(wrong))
    g = grade(book, save(nb, tmp_path / "bob_03_covariance.ipynb"))
    assert points(g)["get_top_magnitude_indices"] == 0 and points(g)["covariance_matrix_from_examples"] == 1


@needs_cov
def test_missing_syntax_error_and_edited_points(book: CaseBook, tmp_path: Path) -> None:
    nb = solution(COV)
    del nb["cells"][cell_index(nb, "remove_from_list")]
    set_source(nb, "covariance_matrix_from_examples", "def covariance_matrix_from_examples(examples:\n    return 1\n")
    nb["cells"][cell_index(nb, "test_get_top_magnitude_indices")]["metadata"]["nbgrader"]["points"] = 100
    g = grade(book, save(nb, tmp_path / "carol_03_covariance.ipynb"))
    p = points(g)
    assert p == {"covariance_matrix_from_examples": 0, "get_top_magnitude_indices": 1, "remove_from_list": 0,
                 "get_top_covariances": 0}
    assert g.max_total == 5  # the submission's own metadata cannot raise the points
    assert "syntax error" in messages(g, "covariance_matrix_from_examples")
    assert "remove_from_list not found" in messages(g, "remove_from_list")


@needs_cov
def test_common_mistakes_are_caught(book: CaseBook, tmp_path: Path) -> None:
    nb = solution(COV)
    set_source(nb, "remove_from_list", "def remove_from_list(indices, index_to_remove):\n"
                                       "    indices = list(indices)\n    indices.remove(index_to_remove)\n"
                                       "    return np.array(indices)\n")
    set_source(nb, "get_top_covariances", source(nb, "get_top_covariances").replace(
        "relevant_indices = remove_from_list(relevant_indices, target_index)", "pass"))
    set_source(nb, "get_top_magnitude_indices", "def get_top_magnitude_indices(values):\n"
                                                "    return np.argsort(np.abs(values))[::-1].tolist()\n")
    g = grade(book, save(nb, tmp_path / "dave_03_covariance.ipynb"))
    assert points(g) == {"covariance_matrix_from_examples": 1, "get_top_magnitude_indices": 0,
                         "remove_from_list": 0, "get_top_covariances": 0}, feedback_text(g)
    assert "numpy array" in messages(g, "get_top_magnitude_indices")
    assert "ValueError" in messages(g, "remove_from_list")  # list.remove of an absent index
    assert "target's own index" in messages(g, "get_top_covariances")


@needs_cov
def test_in_place_mutation_and_lost_sign_are_caught(book: CaseBook, tmp_path: Path) -> None:
    src = """
import numpy as np
def remove_from_list(indices, index_to_remove):
    keep = indices[indices != index_to_remove]
    indices[:] = 0
    return keep
def get_top_covariances(changes, target_index, top_n=10):
    c = np.cov(np.asarray(changes).reshape(-1, np.shape(changes)[-1]), rowvar=False)[target_index]
    order = np.argsort(-np.abs(c), kind="stable")
    order = order[order != target_index][:top_n]
    return order, np.abs(c[order])
"""
    nb = {"cells": [code_cell(src)], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    g = grade(book, save(nb, tmp_path / "erin_03_covariance.ipynb"))
    assert "changed in place" in messages(g, "remove_from_list")
    assert "lost their sign" in messages(g, "get_top_covariances")
    assert g.total == 0


@needs_cov
def test_feedback_does_not_reveal_expected_values(book: CaseBook, tmp_path: Path) -> None:
    src = "import numpy as np\ndef get_top_covariances(c, t, top_n=10):\n    return np.arange(top_n), np.zeros(top_n)\n"
    nb = {"cells": [code_cell(src)], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    g = grade(book, save(nb, tmp_path / "frank_03_covariance.ipynb"))
    text = feedback_text(g) + json.dumps(gradescope_json(g))
    for case in book.cases["get_top_covariances"]:
        for value in case.expected[1][:3]:
            assert f"{value:.3f}" not in text and f"{value:.4g}" not in text


def test_batch_writes_as_it_goes_resumes_and_survives_bad_files(book: CaseBook, tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    subs = tmp_path / "subs"
    subs.mkdir()
    (subs / "broken.ipynb").write_bytes(b'{"cells": [')
    (subs / "latin1.ipynb").write_bytes('{"cells": [], "x": "caf\xe9"}'.encode("latin-1"))
    (subs / "empty.ipynb").write_bytes(b"")
    (subs / "notebook.ipynb").write_text(json.dumps({"cells": [code_cell("print(1)")]}))
    nb = available_notebooks()[-1]
    save(solution(nb), subs / "good" / f"{nb}.ipynb")
    out = tmp_path / "out"
    import autograder.grading as grading

    monkeypatch.setattr(grading, "CaseBook", lambda refs, names: book)
    summary = grade_batch([*sorted(subs.glob("*.ipynb")), subs / "good"], out, jobs=2, gradescope=True,
                          progress=False, limits=LIMITS)
    assert summary.graded == 5
    rows = (out / "grades.csv").read_text().splitlines()
    assert len(rows) == 6 and rows[0].startswith("student,total,max_total,status")
    by_student = {g.student: g for g in summary.grades}
    assert "not valid JSON" in by_student["broken"].problems[0]
    assert "not UTF-8" in by_student["latin1"].problems[0]
    assert "is empty" in by_student["empty"].problems[0]
    assert "no graded functions" in by_student["notebook"].problems[0]
    good = by_student["good"]
    assert good.total == sum(i.points for i in items_of(nb)) and good.max_total > good.total
    assert (out / "feedback" / "good.txt").exists() and (out / "gradescope" / "good" / "results.json").exists()
    # A rerun keeps what is graded; a changed submission and --force regrade.
    summary = grade_batch([*sorted(subs.glob("*.ipynb")), subs / "good"], out, progress=False, limits=LIMITS)
    assert (summary.graded, summary.resumed) == (0, 5)
    (subs / "empty.ipynb").write_bytes(b"{}")
    summary = grade_batch([subs / "empty.ipynb"], out, progress=False, limits=LIMITS)
    assert (summary.graded, summary.resumed) == (1, 0)
    summary = grade_batch([subs / "broken.ipynb"], out, force=True, progress=False, limits=LIMITS)
    assert summary.graded == 1
    assert json.loads((out / "results" / "good.json").read_text())["total"] == good.total


def test_cli_grade_and_pytest_report(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    import subprocess
    import sys

    from ganbias_helpers.cli import main

    nb = "04_fairness" if "04_fairness" in available_notebooks() else available_notebooks()[-1]
    path = save(solution(nb), tmp_path / "zoe" / f"{nb}.ipynb")
    assert main(["grade", str(path), "--out", str(tmp_path / "out"), "--no-progress", "--gradescope"]) == 0
    out = capsys.readouterr().out
    assert "1 students" in out and "zoe" in (tmp_path / "out" / "grades.csv").read_text()
    scored = json.loads((tmp_path / "out" / "gradescope" / "zoe" / "results.json").read_text())
    assert scored["score"] == sum(i.points for i in items_of(nb)) == sum(t["max_score"] for t in scored["tests"])
    env = dict(os.environ, OMP_NUM_THREADS="1")
    bad = load(path)
    first = items_of(nb)[0].name
    set_source(bad, first, f"def {first}(*args):\n    return None\n")
    save(bad, tmp_path / f"{nb}.ipynb")
    proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(REPO / "autograder"),
                           "--submission", str(tmp_path / f"{nb}.ipynb")], capture_output=True, text=True,
                          env=env, cwd=REPO, timeout=300)
    assert proc.returncode == 1 and f"FAILED autograder/test_submission.py::test_graded_function[{first}]" \
        in proc.stdout, proc.stdout[-2000:]
    assert f"{len(items_of(nb)) - 1} passed" in proc.stdout
