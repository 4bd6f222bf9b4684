"""The autograder: reading notebooks, the wire format, the sandbox's limits, and grading whole notebooks (the
solutions, the untouched release, moved and broken answers). Hostile submissions: tests/test_hostile.py;
every kind of student answer: tests/test_corpus.py."""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
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
    trusted_flag,
)

from autograder import sandbox
from autograder.grading import (
    StudentGrade,
    Submission,
    discover,
    feedback_text,
    file_id,
    grade_batch,
    grade_student,
    gradescope_json,
)
from autograder.items import all_items, cases_of, helper_sources, item_named, items_of
from autograder.notebook import SubmissionError, build_program, identify_notebook, read_notebook
from autograder.sandbox import Call, Limits, World
from ganbias_helpers.checks.codec import DecodeError, ModelRef, Opaque, decode, encode
from ganbias_helpers.checks.core import CheckFailed

COV = "03_covariance"
LIMITS = Limits(call_timeout_s=20.0, memory_bytes=768 * 2**20)


@pytest.fixture(scope="module")
def world() -> Iterator[World]:
    w = World(sandbox.choose_isolation(trusted=True))
    yield w
    w.close()


@pytest.fixture(scope="module")
def release(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The student notebooks exactly as nbgrader releases them from the solutions."""
    course = make_course(tmp_path_factory.mktemp("release"), available_notebooks())
    return course / "release" / "ganbias"


def grade(world: World, path: Path, limits: Limits = LIMITS) -> StudentGrade:
    return grade_student(path.stem, Submission([path]), world, limits)


def points(g: StudentGrade) -> dict[str, float]:
    return {f.name: f.points for f in g.functions}


def messages(g: StudentGrade, name: str) -> str:
    return " | ".join(next(f for f in g.functions if f.name == name).all_messages)


def read_notebook_from(nb: dict, tmp: Path) -> list:
    return read_notebook(save(nb, tmp / "x.ipynb"))


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


def test_huge_files_fifos_and_links_are_refused_unread(tmp_path: Path) -> None:
    path = tmp_path / "huge.ipynb"
    with open(path, "wb") as f:
        f.truncate(30 * 2**20)
    with pytest.raises(SubmissionError, match="over the 25 MB limit"):
        read_notebook(path)
    os.mkfifo(tmp_path / "pipe.ipynb")
    with pytest.raises(SubmissionError, match="not a regular file"):
        read_notebook(tmp_path / "pipe.ipynb")
    (tmp_path / "link.ipynb").symlink_to(path)
    with pytest.raises(SubmissionError, match="symbolic link"):
        read_notebook(tmp_path / "link.ipynb")


def test_program_runs_student_cells_and_only_the_setup_they_use(tmp_path: Path) -> None:
    course_setup = code_cell("import numpy as np\nimport matplotlib.pyplot as plt\nx = np.ones(3)\n"
                             "device = pick_device()\n")
    course_setup["metadata"]["nbgrader"] = {"locked": True, "grade_id": "setup", "solution": False, "grade": False}
    nb = {"cells": [course_setup,
                    code_cell("TINY = np.finfo(np.float64).tiny\nunit = lambda v: v / (np.abs(v).sum() + TINY)\n"),
                    code_cell("def get_top_magnitude_indices(values):\n    !ls\n"
                              "    return np.argsort(-unit(values))\n"),
                    code_cell("def broken(:\n")]}
    program = build_program(read_notebook_from(nb, tmp_path), COV)
    labels = [u.label for u in program.units]
    assert labels == ["cell 1 (setup)", "cell 2", "cell 3"]
    setup = program.units[0].source
    assert "import numpy as np" in setup and "matplotlib" not in setup and "np.ones" not in setup
    assert "pass" in program.units[2].source  # the shell line is neutralised, line numbers kept
    assert any("cell 4 has a syntax error" in n for n in program.notes)
    assert program.found == {"get_top_magnitude_indices": "cell 3"}
    assert set(program.missing) == {i.name for i in items_of(COV)} - {"get_top_magnitude_indices"}


def test_identify_notebook_by_name_then_content(tmp_path: Path) -> None:
    nb = {"cells": [code_cell("def demographic_parity_gap(a, b, c):\n    return 0.0\n")]}
    cells = read_notebook_from(nb, tmp_path)
    assert identify_notebook(tmp_path / "alice_03_covariance.ipynb", cells) == COV
    assert identify_notebook(tmp_path / "alice.ipynb", cells) == "04_fairness"
    assert identify_notebook(tmp_path / "alice.ipynb", read_notebook_from({"cells": [code_cell("1")]}, tmp_path)) \
        is None


def test_discover_students_keeps_ids_exactly_and_follows_no_link(tmp_path: Path) -> None:
    (tmp_path / "submitted" / "bob" / "ganbias").mkdir(parents=True)
    (tmp_path / "submitted" / "bob" / "ganbias" / "03_covariance.ipynb").write_text("{}")
    for name in ("Zoë", "Zoe\u0308", "a b", "a_b"):
        (tmp_path / "submitted" / name).mkdir()
        (tmp_path / "submitted" / name / "04_fairness.ipynb").write_text("{}")
    (tmp_path / "submitted" / "mallory").symlink_to(tmp_path / "submitted" / "bob")
    (tmp_path / "submitted" / "eve").mkdir()
    (tmp_path / "submitted" / "eve" / "04_fairness.ipynb").symlink_to(REPO / "solutions/ganbias/04_fairness.ipynb")
    (tmp_path / "dave.ipynb").write_text("{}")
    found = discover([tmp_path / "submitted", tmp_path / "dave.ipynb"])
    assert sorted(found) == sorted(["bob", "Zoë", "Zoe\u0308", "a b", "a_b", "mallory", "eve", "dave"])
    assert len({file_id(s) for s in found}) == len(found)
    assert found["mallory"].files == [] and "symbolic link" in found["mallory"].problems[0]
    assert found["eve"].files == [] and "symbolic link" in found["eve"].problems[0]
    assert found["bob"].whole and not found["dave"].whole
    assert list(discover([tmp_path / "submitted" / "bob" / "ganbias"])) == ["bob"]
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "dave.ipynb").write_text("{}")
    with pytest.raises(ValueError, match="two submissions for the student id 'dave'"):
        discover([tmp_path / "dave.ipynb", tmp_path / "other" / "dave.ipynb"])
    with pytest.raises(FileNotFoundError):
        discover([tmp_path / "nobody"])


# ------------------------------------------------------------------ the wire format


def test_codec_round_trip_refusals_and_bounds() -> None:
    value = {"v": (np.arange(6, dtype=np.int32).reshape(2, 3), torch.ones(2, requires_grad=True), [1.5, "x", None],
                   np.float64(2.5), float("nan"), object(), np.array(["a", "bc"]), ModelRef("gen"))}
    out = decode(encode(value))["v"]
    assert isinstance(out, tuple) and out[0].dtype == np.int32 and out[0].shape == (2, 3)
    assert isinstance(out[1], torch.Tensor) and out[1].requires_grad
    assert out[2] == [1.5, "x", None] and isinstance(out[3], np.float64) and np.isnan(out[4])
    assert isinstance(out[5], Opaque) and out[5].type_name == "object"
    assert out[6].tolist() == ["a", "bc"] and out[7] == ModelRef("gen")
    for garbage in (b"", b"\x05\x00\x00\x00abcde", encode({"v": 1})[:-3] + b"zzz"):
        with pytest.raises(DecodeError):
            decode(garbage)
    evil = json.dumps({"h": 2, "sizes": [3]}).encode()
    forged = len(evil).to_bytes(4, "little") + evil + json.dumps(
        {"v": {"t": "nd", "dtype": "object", "shape": [1], "b": 0}}).encode()[:2]
    with pytest.raises(DecodeError):
        decode(forged)
    # One 8 MB blob referenced 100 times would build 800 MB: refused, not built.
    blob = encode({"v": np.zeros(2**20)})
    (n,) = np.frombuffer(blob[:4], dtype="<u4")
    head = json.loads(blob[4:4 + n])
    node = {"t": "nd", "dtype": "float64", "shape": [2**20], "b": 0}
    header = json.dumps({"v": {"t": "list", "v": [node] * 100}}).encode()
    bomb = json.dumps({"h": len(header), "sizes": head["sizes"]}).encode()
    with pytest.raises(DecodeError, match="more than the grader accepts"):
        decode(len(bomb).to_bytes(4, "little") + bomb + header + blob[-head["sizes"][0]:])


def test_a_frame_is_bounded_before_its_json_is_parsed() -> None:
    """A header of millions of tiny values is refused from its raw bytes (json.loads would build gigabytes)."""
    from ganbias_helpers.checks.codec import MAX_HEADER_BYTES, MAX_JSON_VALUES

    header = b"[" + b"{}," * (MAX_JSON_VALUES + 1) + b"{}]"
    head = json.dumps({"h": len(header), "sizes": []}).encode()
    with pytest.raises(DecodeError, match="too many values"):
        decode(len(head).to_bytes(4, "little") + head + header)
    big = json.dumps({"v": {"t": "str", "v": "x" * (MAX_HEADER_BYTES + 1)}}).encode()
    head = json.dumps({"h": len(big), "sizes": []}).encode()
    with pytest.raises(DecodeError, match="over the"):
        decode(len(head).to_bytes(4, "little") + head + big)


def test_a_notebook_of_tiny_statements_is_capped(tmp_path: Path) -> None:
    """Code past the per-notebook cap is skipped and said so (its syntax trees would take gigabytes)."""
    from autograder.notebook import MAX_CELL_CHARS, MAX_CODE_CHARS

    nb = solution(COV)
    cells = MAX_CODE_CHARS // MAX_CELL_CHARS + 2
    nb["cells"] += [{"cell_type": "code", "metadata": {}, "outputs": [], "source": "a=1\n" * (MAX_CELL_CHARS // 4)}
                    for _ in range(cells)]
    program = build_program(read_notebook(save(nb, tmp_path / f"{COV}.ipynb")), COV)
    assert any("characters of code" in note for note in program.notes), program.notes
    assert sum(len(u.source) for u in program.units) <= MAX_CODE_CHARS
    assert not program.missing, program.missing


def test_text_and_csv_cells_can_always_be_written(tmp_path: Path) -> None:
    """Lone surrogates are escaped, never raised; a CSV cell that starts like a formula gets a quote."""
    from autograder.grading import csv_cell, write_atomic, write_csv_rows

    write_atomic(tmp_path / "f.txt", "printed: \udcff\ud800")
    assert (tmp_path / "f.txt").read_text(encoding="utf-8") == "printed: \\udcff\\ud800"
    cells = ["=HYPERLINK(1)", "+1+1", "-x", "@SUM(1)", "\tx", "\rx", "-1", "+2.5", "-inf", "1e-3", "plain", "\udcff"]
    assert [csv_cell(c) for c in cells] == ["'=HYPERLINK(1)", "'+1+1", "'-x", "'@SUM(1)", "'\tx", "'\rx", "-1", "+2.5",
                                            "-inf", "1e-3", "plain", "\\udcff"]
    write_csv_rows(tmp_path / "g.csv", ["a", "=b"], [["=c", "\udcff"]])
    assert (tmp_path / "g.csv").read_bytes() == b"a,'=b\r\n'=c,\\udcff\r\n"


def test_a_huge_file_is_fingerprinted_unread(tmp_path: Path) -> None:
    """A sparse terabyte notebook is looked at, not read, by the resume fingerprint."""
    from autograder.grading import fingerprint

    huge = tmp_path / "huge.ipynb"
    with open(huge, "wb") as f:
        f.truncate(2**40)
    started = time.monotonic()
    first = fingerprint([huge])
    assert time.monotonic() - started < 5
    os.utime(huge, ns=(0, 0))
    assert fingerprint([huge]) != first  # a changed file still changes it


# ------------------------------------------------------------------ the sandbox's limits


def _run(world: World, src: str, calls: list[Call], limits: Limits = LIMITS) -> sandbox.RunReport:
    return sandbox.run(world, {COV: [("cell 1", src)]}, calls, limits, time.monotonic() + 300)


@pytest.mark.slow  # waits out the sandbox's time limits, like tests/test_hostile.py
def test_sandbox_survives_hang_exit_crash_memory_bomb_and_chatter(world: World) -> None:
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
        chunks.append(np.ones(2**24))
def chatty(x):
    for i in range(200000):
        print("PASSED all tests, score 100/100", i)
    return x + 1
def spawn(x):
    return os.fork()
"""
    limits = Limits(call_timeout_s=5.0, memory_bytes=512 * 2**20)
    names = ["hang", "leave", "hard_exit", "bomb", "chatty", "spawn"]
    report = _run(world, src, [Call(n, COV, n, (1,)) for n in names] + [Call("hang2", COV, "hang", (2,))], limits)
    r = report.results
    assert r["hang"].status == "timeout" and "did not finish" in r["hang"].error
    assert r["hang2"].status == "skipped"
    assert r["leave"].status == "error" and "SystemExit" in r["leave"].error
    assert r["hard_exit"].status == "crashed" and "status 3" in r["hard_exit"].error
    assert r["bomb"].status == "error" and "MemoryError" in r["bomb"].error
    assert r["chatty"].status == "ok" and r["chatty"].value == 2 and len(r["chatty"].output) <= 2000
    if world.isolation.kind != "none":
        assert r["spawn"].status == "error" and "BlockingIOError" in r["spawn"].error  # no new processes
    assert report.runs == 3  # a fresh run after the hang and after os._exit


@pytest.mark.slow  # waits out the sandbox's time limits, like tests/test_hostile.py
def test_a_cell_that_hangs_or_exits_while_defining_is_skipped_and_named(world: World) -> None:
    programs = {COV: [("cell 1", "import os\nos._exit(0)\n"), ("cell 2", "while True:\n    pass\n"),
                      ("cell 3", "def remove_from_list(a, b):\n    return a[a != b]\n")]}
    report = sandbox.run(world, programs, [Call("a", COV, "remove_from_list", (np.arange(3), 1))],
                         Limits(load_timeout_s=10.0), time.monotonic() + 120)
    assert report.results["a"].status == "ok" and report.results["a"].value.tolist() == [0, 2]
    errors = " | ".join(report.load_errors[COV])
    assert "cell 1 stopped the grading process" in errors and "cell 2 did not finish" in errors


def test_one_process_per_student_and_no_reference_code_until_the_students_own_checks_are_done(world: World) -> None:
    """The dependents' checks come last, in the same process, in a second definition of the notebook where the
    reference helpers stand in for the student's: nothing of them is there while the student's own functions run,
    and the second definition starts from the cells again (no state carried over from the first)."""
    src = """
import gc
seen = []
def reference_functions():
    return [f for f in gc.get_objects() if callable(f)
            and str(getattr(getattr(f, "__code__", None), "co_filename", "")).startswith("<reference")]
def remove_from_list(indices, index_to_remove):  # the student's helper: what reference code can it find?
    seen.append(1)
    return len(reference_functions())
def probe(x):  # a dependent: its helper is the reference one here
    code = remove_from_list.__code__.co_filename
    return [len(seen), code.startswith("<reference"), len(reference_functions()) > 0]
"""
    helpers = helper_sources(item_named("get_top_covariances"))
    calls = [Call("dep", COV, "probe", (1,), with_reference=True),
             Call("dep hidden", COV, "probe", (2,), hidden=True, with_reference=True),
             Call("own", COV, "remove_from_list", (np.arange(3), 1)),
             Call("own hidden", COV, "remove_from_list", (np.arange(4), 2), hidden=True)]
    report = sandbox.run(world, {COV: [("cell 1", src)]}, calls, LIMITS, time.monotonic() + 300, helpers,
                         {COV: ["remove_from_list"]})
    r = report.results
    assert [r["own"].value, r["own hidden"].value] == [0, 0], "reference code was in the process too early"
    assert r["dep"].value == [0, True, True] and r["dep hidden"].value == [0, True, True]
    assert report.runs == 1


def test_hidden_inputs_stay_hidden_in_a_fresh_run_and_in_the_later_parts(world: World) -> None:
    """A fresh run that carries on with hidden calls (after a crash) defines the notebook before they come, with
    their watched inputs in the shared memory; what the student's code says once hidden inputs have been in its
    process, or the reference helpers' code (the dependents' checks, the second definition's cells, the exit
    status of a hidden call) is not shown; a forged cell label is not taken (it could say anything)."""
    src = """
import builtins, os, sys
import numpy as np
def _seen():  # the hidden calls' ids that the request shows the cells
    out, frame = [], sys._getframe(0)
    while frame is not None:
        for name in ("request", "part"):
            value = frame.f_locals.get(name)
            if isinstance(value, dict):
                out += [str(c.get("id")) for c in value.get("calls", []) if "hidden" in str(c.get("id"))]
        frame = frame.f_back
    return out
if _seen():
    raise RuntimeError("SEEN " + " ".join(_seen()))
if getattr(builtins, "kept", None):
    raise RuntimeError("KEPT " + builtins.kept)
def crash(x):
    if x == 2:
        os._exit(3)
    return x
def keep(indices, value):
    builtins.kept = "SECRET%d" % int(np.asarray(indices).sum())
    indices = np.asarray(indices)
    return indices[indices != value]
def probe(x):
    if getattr(builtins, "kept", None):
        print(builtins.kept)
        raise RuntimeError(builtins.kept)
    return x
def leave(x):
    os._exit(4)
def grab(x):  # the reference helpers' code, as the request holds it
    frame = sys._getframe(0)
    while frame is not None:
        for name in ("request", "part"):
            value = frame.f_locals.get(name)
            if isinstance(value, dict) and value.get("helpers"):
                raise RuntimeError("SOURCE " + value["helpers"]["remove_from_list"])
        frame = frame.f_back
    return x
"""
    calls = [Call("own", COV, "crash", (1,)), Call("own hidden", COV, "crash", (2,), hidden=True),
             Call("keep hidden", COV, "keep", (np.arange(5), 2), {}, True, (0,), hidden=True),
             Call("dep", COV, "probe", (1,), with_reference=True), Call("exit", COV, "leave", (2,),
                                                                                 with_reference=True),
             Call("dep2", COV, "grab", (1,), with_reference=True)]
    helpers = helper_sources(item_named("get_top_covariances"))
    report = sandbox.run(world, {COV: [("cell 1", src)]}, calls, LIMITS, time.monotonic() + 300, helpers, {COV: []})
    r = report.results
    assert report.runs == 3 and r["own hidden"].status == "crashed" and "status 3" not in r["own hidden"].error
    assert r["keep hidden"].value.tolist() == [0, 1, 3, 4] and r["keep hidden"].changed == ()
    errors = " ".join(report.load_errors[COV])
    assert "SEEN" not in errors and "SECRET" not in errors and "with the reference helpers" in errors, errors
    # the grader shows none of their text: the first had hidden inputs in its process, the second (a fresh run
    # after the crash) the reference helpers' code
    assert r["dep"].status == r["dep2"].status == "error" and "SOURCE" in r["dep2"].error
    assert report.blind == {"dep", "dep2"} and r["exit"].status == "crashed" and "status 4" not in r["exit"].error
    forged = """
import sys, os
for label in ("FORGED", ["unhashable"], {"a": 1}):
    sys.modules["__main__"]._send({"kind": "cell", "notebook": "03_covariance", "label": label})
os._exit(1)
"""
    report = _run(world, forged, [Call("own", COV, "crash", (1,))])
    errors = " ".join(report.load_errors[COV])
    assert "cell 1 stopped the grading process" in errors and "FORGED" not in errors, errors


@pytest.mark.slow  # waits out the sandbox's time or CPU limits, like tests/test_hostile.py
def test_which_cell_hangs_in_a_definition_with_secrets_in_reach_is_not_shown(world: World) -> None:
    """The second definition runs where the student's own hidden inputs have been: the cell its code chooses to hang
    in could spell them, so the feedback does not name it; the cell is still skipped."""
    cells = [("cell 1", "import builtins\nimport numpy as np\ndef keep(indices, value):\n"
                        "    builtins.kept = int(np.asarray(indices).sum())\n    return 0\ndef probe(x):\n"
                        "    return x\n"),
             *[(f"cell {k}", "import builtins, time\n"  # a hang that sleeps: the same to the grader's clock
                             f"while getattr(builtins, 'kept', 0) == {k}:\n    time.sleep(0.05)\n") for k in (2, 3)]]
    helpers = helper_sources(item_named("get_top_covariances"))
    limits = Limits(call_timeout_s=20.0, load_timeout_s=8.0, memory_bytes=768 * 2**20)
    shown = []
    for hidden_sum in (2, 3):  # the hidden input chooses the cell
        calls = [Call("own", COV, "keep", (np.arange(2), 1)),
                 Call("own hidden", COV, "keep", (np.array([hidden_sum]), 0), hidden=True),
                 Call("dep", COV, "probe", (1,), with_reference=True)]
        report = sandbox.run(world, {COV: cells}, calls, limits, time.monotonic() + 300, helpers, {COV: []})
        assert report.runs == 2 and report.results["dep"].status == "ok", report.results  # skipped, carried on
        shown.append(report.load_errors[COV])
    assert shown[0] == shown[1] and "cell 2" not in str(shown) and "cell 3" not in str(shown), shown
    assert "with the reference helpers" in shown[0][0] and "skipped" in shown[0][0]


@pytest.mark.slow  # waits out the sandbox's time or CPU limits, like tests/test_hostile.py
def test_a_process_that_ends_in_its_second_definition_costs_no_cell(world: World) -> None:
    """The second definition runs in a process that has spent CPU time on the student's own checks: running out
    of it there (or ending otherwise) does not skip the cell it was in (the dependent it defines would be lost);
    a fresh run defines the notebook again."""
    cells = [("cell 1", "import time\ndef busy(x):\n    end = time.process_time() + x\n"
                        "    while time.process_time() < end:\n        pass\n    return 0\n"),
             ("cell 2", "import time\n_end = time.process_time() + 1.5\nwhile time.process_time() < _end:\n"
                        "    pass\ndef probe(x):\n    return x\n")]
    calls = [Call("own", COV, "busy", (2.2,)), Call("dep", COV, "probe", (1,), with_reference=True)]
    limits = Limits(call_timeout_s=20.0, memory_bytes=768 * 2**20, cpu_seconds=4)
    report = sandbox.run(world, {COV: cells}, calls, limits, time.monotonic() + 300,
                         helper_sources(item_named("get_top_covariances")), {COV: []})
    r = report.results
    assert r["own"].status == "ok" and r["dep"].status == "ok" and r["dep"].value == 1, r
    assert report.runs == 2 and not report.load_errors[COV]


@pytest.mark.slow  # waits out the sandbox's time or CPU limits, like tests/test_hostile.py
def test_a_call_that_runs_out_of_the_cpu_time_other_calls_spent_is_made_again(world: World) -> None:
    """One process makes all of a student's calls, the dependents' last: a correct function that runs out of the CPU
    time the calls before it spent is not failed for it; a fresh run makes the call again."""
    src = ("import time\ndef busy(x):\n    end = time.process_time() + x\n"
           "    while time.process_time() < end:\n        pass\n    return x\n")
    calls = [Call("own", COV, "busy", (2.5,)), Call("dep", COV, "busy", (2.5,), with_reference=True)]
    report = sandbox.run(world, {COV: [("cell 1", src)]}, calls,
                         Limits(call_timeout_s=20.0, memory_bytes=768 * 2**20, cpu_seconds=4),
                         time.monotonic() + 300, helper_sources(item_named("get_top_covariances")), {COV: []})
    assert report.results["own"].status == "ok" and report.results["dep"].status == "ok", report.results
    assert report.runs == 2


def test_a_notebook_with_only_a_dependents_checks_is_defined_first_without_secrets(world: World) -> None:
    """06 with no project_out of the student's: it is defined in the first definition too (no reference code or hidden
    inputs in reach), so what its cells raise is shown, not only said to be hidden."""
    programs = {COV: [("cell 1", "def own(x):\n    return x\n")],
                "06_mitigation": [("cell 1", "def dep(x):\n    return x\nraise ValueError('a plain mistake')\n")]}
    calls = [Call("own", COV, "own", (1,)), Call("own hidden", COV, "own", (2,), hidden=True),
             Call("dep", "06_mitigation", "dep", (1,), with_reference=True)]
    report = sandbox.run(world, programs, calls, LIMITS, time.monotonic() + 300,
                         helper_sources(item_named("conditional_steering_step")), {"06_mitigation": ["project_out"]})
    assert report.results["dep"].status == "ok" and report.runs == 1
    assert "ValueError: a plain mistake" in " ".join(dict.fromkeys(report.load_errors["06_mitigation"]))


def test_the_second_definition_does_not_hold_the_first_ones_data_too(world: World) -> None:
    """Data the answers keep at the top level (400 MB here) fits the memory limit once: the second definition, with
    the reference helpers, is made once the first one's namespace is gone (a MemoryError there cost the dependent)."""
    src = ("import numpy as np\nbig = np.ones(50 * 2**20)\ndef own(x):\n    return x\ndef dep(x):\n"
           "    return x + int(big[0])\n")
    calls = [Call("own", COV, "own", (1,)), Call("dep", COV, "dep", (1,), with_reference=True)]
    report = sandbox.run(world, {COV: [("cell 1", src)]}, calls, Limits(call_timeout_s=20.0, memory_bytes=700 * 2**20),
                         time.monotonic() + 300, helper_sources(item_named("get_top_covariances")), {COV: []})
    assert report.results["own"].value == 1 and report.results["dep"].value == 2, report.results
    assert not report.load_errors[COV] and report.runs == 1


def test_a_hidden_check_named_with_a_number_is_still_marked_hidden() -> None:
    """"40 random values" is a hidden case of get_top_magnitude_indices: its message was shown as a visible one's."""
    from autograder.records import FunctionGrade

    fg = FunctionGrade(COV, "get_top_magnitude_indices", 1.0, messages=["[-2, 0, 1]: wrong"],
                       hidden_messages=["40 random values: wrong", "3 of 4 hidden checks: wrong"])
    assert fg.all_messages == ["[-2, 0, 1]: wrong", "(hidden check) 40 random values: wrong",
                               "3 of 4 hidden checks: wrong"]


def test_a_hidden_check_does_not_show_the_shape_returned() -> None:
    """An empty array's shape, (0, 26, 29, 19), holds numbers the student's code chose (a hidden call's inputs):
    a hidden check (or one made after them) says only that the shape is wrong; a visible one shows it."""
    from autograder.grading import _judged
    from ganbias_helpers.checks.calls import CallResult

    value = decode(encode({"v": np.zeros((0, 26, 29, 19))}))["v"]
    for name in ("remove_from_list", "covariance_matrix_from_examples", "get_top_covariances"):
        hidden = next(c for c in cases_of(name) if not c.visible)
        visible = next(c for c in cases_of(name) if c.visible)
        returned = (value, value) if name == "get_top_covariances" else value
        for case, secret in ((hidden, None), (visible, True)):
            why = _judged(case, CallResult("ok", value=returned), secret)
            assert "another shape" in why and "26" not in why, why
        assert "(0, 26, 29, 19)" in _judged(visible, CallResult("ok", value=returned))


def test_forged_results_and_monkeypatching_do_not_help(world: World) -> None:
    src = """
import numpy as np, builtins
def remove_from_list(indices, index_to_remove):
    np.array_equal = lambda *a, **k: True
    np.allclose = lambda *a, **k: True
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
    cases = cases_of("remove_from_list")
    report = _run(world, src, [Call(f"c{i}", COV, "remove_from_list", c.args, c.kwargs, True)
                               for i, c in enumerate(cases)])
    assert all(c.judge(report.results[f"c{i}"]) is not None for i, c in enumerate(cases))
    case = cases_of("get_top_magnitude_indices")[0]
    report = _run(world, src, [Call("liar", COV, "get_top_magnitude_indices", case.args)])
    assert case.judge(report.results["liar"]) == "the result should be a numpy array of indices, got Liar"


def test_in_place_changes_are_read_back_by_the_grader(world: World) -> None:
    """A watched argument lives in memory the grader reads back: a change is found whatever the child reports, and
    a hidden call's input reaches the child only with its call (the visible calls saw none of it)."""
    src = """
import copy, sys
import numpy as np
SEEN = []
runner = sys.modules["__main__"]
original = runner.perform_call
def perform_call(f, args, kwargs, return_args):  # reports the arguments as they came in
    before = [copy.deepcopy(a) for a in args]
    message = original(f, args, kwargs, return_args)
    message["args_after"] = before
    return message
runner.perform_call = perform_call
def remove_from_list(indices, index_to_remove):
    kept = indices[indices != index_to_remove].copy()
    if index_to_remove == 2:
        indices[...] = -7
    return kept
def get_top_magnitude_indices(values):
    frame, seen = sys._getframe(), []
    while frame is not None:
        seen += [repr(v) for v in frame.f_locals.values()]
        frame = frame.f_back
    hidden, visible = "changes" + "-hidden", "'chan" + "ges'"  # not as written here: the cell's text is in view
    return np.array([int(any(hidden in text for text in seen)), int(any(visible in text for text in seen))])
"""
    calls = [Call("peek", COV, "get_top_magnitude_indices", ([1.0],)),
             Call("changes", COV, "remove_from_list", (np.arange(5), 2), {}, True, (0,)),
             Call("keeps", COV, "remove_from_list", (np.arange(5), 3), {}, True, (0,), hidden=True),
             Call("changes-hidden", COV, "remove_from_list", (np.array([9, 8, 2]), 2), {}, True, (0,), hidden=True)]
    report = _run(world, src, calls)
    r = report.results
    assert r["changes"].changed == (0,) and r["changes"].value.tolist() == [0, 1, 3, 4]
    assert r["keeps"].changed == () and r["keeps"].value.tolist() == [0, 1, 2, 4]
    assert r["changes-hidden"].changed == (0,) and r["changes-hidden"].value.tolist() == [9, 8]
    case = cases_of("remove_from_list")[0]
    with pytest.raises(CheckFailed, match="changed in place"):
        case._check_arguments(r["changes"])
    assert r["peek"].value.tolist() == [0, 1]  # the visible call saw the visible calls, no hidden one


def test_the_package_reference_code_is_absent_in_the_sandbox(world: World) -> None:
    if world.isolation.kind != "bubblewrap":
        pytest.skip("only bubblewrap removes the package's reference code from the student's view")
    src = """
import importlib, inspect
import ganbias_helpers.reference as r
def covariance_matrix_from_examples(x):
    return r.covariance_matrix(x)
def get_top_magnitude_indices(values):
    return inspect.getsource(r.covariance_matrix)
def remove_from_list(a, b):
    return open(r.__file__).read()
"""
    report = _run(world, src, [Call("a", COV, "covariance_matrix_from_examples", (np.ones((2, 3, 4)),)),
                               Call("b", COV, "get_top_magnitude_indices", ([1.0],)),
                               Call("c", COV, "remove_from_list", (np.arange(3), 1))])
    assert report.results["a"].error_type == "DelegationError"
    for key in "bc":
        assert "np.cov" not in str(report.results[key].value) and "DelegationError" in str(report.results[key].value)


# ------------------------------------------------------------------ whole notebooks


def test_solutions_score_full_marks_and_the_release_zero(world: World, release: Path, tmp_path: Path) -> None:
    folder = tmp_path / "sol"
    for nb in available_notebooks():
        save(solution(nb), folder / f"{nb}.ipynb")
    g = grade_student("sol", Submission(sorted(folder.iterdir()), whole=True), world, LIMITS)
    assert g.status == "graded" and all(f.points == f.max_points for f in g.functions), feedback_text(g)
    assert g.total == sum(i.points for i in all_items()) == 15
    g = grade_student("blank", Submission(sorted(release.glob("*.ipynb")), whole=True), world, LIMITS)
    assert g.status == "graded" and g.total == 0
    text = feedback_text(g)
    assert "NotImplementedError" in text and "(cell " in text


def test_metadata_lost_cells_moved_split_duplicated(world: World, tmp_path: Path) -> None:
    sol = solution(COV)
    nb = strip_metadata(sol)
    # Move get_top_covariances to the very end, put remove_from_list's body in a helper of a new cell,
    # and define get_top_magnitude_indices twice: wrong first, right last.
    moved = nb["cells"].pop(cell_index(sol, "get_top_covariances"))
    nb["cells"].append(moved)
    rm_src = source(sol, "remove_from_list")
    for cell in nb["cells"]:
        if "".join(cell["source"]) == rm_src:
            cell["source"] = rm_src.replace("def remove_from_list(", "def _remove_impl(") + \
                "\n\ndef remove_from_list(indices, index_to_remove):\n    return _helper(indices, index_to_remove)\n"
    nb["cells"].insert(2, code_cell("_helper = lambda a, b: _remove_impl(a, b)\n"))
    wrong = code_cell("def get_top_magnitude_indices(values):\n    return np.argsort(values)\n")
    nb["cells"].insert(3, wrong)
    g = grade(world, save(nb, tmp_path / "alice_03_covariance.ipynb"))
    assert g.total == g.max_total == 5, feedback_text(g)
    # The same duplicate the other way round: the last (wrong) definition is the one that counts.
    nb["cells"].append(copy.deepcopy(wrong))
    g = grade(world, save(nb, tmp_path / "bob_03_covariance.ipynb"))
    assert points(g)["get_top_magnitude_indices"] == 0 and points(g)["get_top_covariances"] == 2


def test_missing_syntax_error_and_edited_points(world: World, tmp_path: Path) -> None:
    nb = solution(COV)
    del nb["cells"][cell_index(nb, "remove_from_list")]
    set_source(nb, "covariance_matrix_from_examples", "def covariance_matrix_from_examples(examples:\n    return 1\n")
    nb["cells"][cell_index(nb, "test_get_top_magnitude_indices")]["metadata"]["nbgrader"]["points"] = 100
    g = grade(world, save(nb, tmp_path / "carol_03_covariance.ipynb"))
    assert points(g) == {"covariance_matrix_from_examples": 0, "get_top_magnitude_indices": 1,
                         "remove_from_list": 0, "get_top_covariances": 2}  # checked with the reference helpers
    assert g.max_total == 5  # the submission's own metadata cannot raise the points
    assert "syntax error" in messages(g, "covariance_matrix_from_examples")
    assert "remove_from_list not found" in messages(g, "remove_from_list")


def test_known_mistakes_are_named_and_cost_one_function(world: World, tmp_path: Path) -> None:
    nb = solution(COV)
    set_source(nb, "covariance_matrix_from_examples", "def covariance_matrix_from_examples(examples):\n"
               "    x = examples.reshape(-1, examples.shape[-1])\n    return np.cov(x, rowvar=False, bias=True)\n")
    set_source(nb, "remove_from_list", "def remove_from_list(indices, index_to_remove):\n"
                                       "    return np.delete(indices, index_to_remove)\n")
    set_source(nb, "get_top_magnitude_indices", "def get_top_magnitude_indices(values):\n"
                                                "    return np.argsort(np.abs(values))\n")
    g = grade(world, save(nb, tmp_path / "dave_03_covariance.ipynb"))
    assert points(g) == {"covariance_matrix_from_examples": 0, "get_top_magnitude_indices": 0,
                         "remove_from_list": 0, "get_top_covariances": 2}, feedback_text(g)
    assert "divided by N" in messages(g, "covariance_matrix_from_examples")
    assert "position index_to_remove" in messages(g, "remove_from_list")
    assert "smallest magnitude first" in messages(g, "get_top_magnitude_indices")


def test_feedback_does_not_reveal_expected_values(world: World, tmp_path: Path) -> None:
    src = "import numpy as np\ndef get_top_covariances(c, t, top_n=10):\n    return np.arange(top_n), np.zeros(top_n)\n"
    nb = {"cells": [code_cell(src)], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    g = grade(world, save(nb, tmp_path / "frank_03_covariance.ipynb"))
    text = feedback_text(g) + json.dumps(gradescope_json(g))
    for case in cases_of("get_top_covariances"):
        for value in case.expected[1][:3]:
            assert f"{value:.3f}" not in text and f"{value:.4g}" not in text


def test_batch_writes_as_it_goes_resumes_and_survives_bad_files(tmp_path: Path) -> None:
    subs = tmp_path / "subs"
    subs.mkdir()
    (subs / "broken.ipynb").write_bytes(b'{"cells": [')
    (subs / "latin1.ipynb").write_bytes('{"cells": [], "x": "caf\xe9"}'.encode("latin-1"))
    (subs / "empty.ipynb").write_bytes(b"")
    (subs / "notebook.ipynb").write_text(json.dumps({"cells": [code_cell("print(1)")]}))
    nb = "04_fairness"
    save(solution(nb), subs / "good" / f"{nb}.ipynb")
    out = tmp_path / "out"
    out.mkdir()
    os.mkfifo(out / "grades.csv")  # whatever stands in the way is replaced, never opened
    isolation = sandbox.choose_isolation(trusted=True)
    summary = grade_batch([*sorted(subs.glob("*.ipynb")), subs / "good"], out, jobs=2, gradescope=True,
                          progress=False, limits=LIMITS, isolation=isolation)
    assert summary.graded == 5
    rows = (out / "grades.csv").read_text().splitlines()
    assert len(rows) == 6 and rows[0].startswith("student,total,max_total,status,isolation")
    assert json.loads((out / "grading.json").read_text())["isolation"] == isolation.kind
    by_student = {g.student: g for g in summary.grades}
    assert "not valid JSON" in by_student["broken"].problems[0] and by_student["broken"].status == "refused"
    assert "not UTF-8" in by_student["latin1"].problems[0]
    assert "is empty" in by_student["empty"].problems[0]
    assert "no graded functions" in by_student["notebook"].problems[0]
    good = by_student["good"]
    assert good.total == sum(i.points for i in items_of(nb)) and good.max_total > good.total
    assert (out / "feedback" / "good.txt").exists() and (out / "gradescope" / "good" / "results.json").exists()
    # A rerun keeps what is graded; a changed submission and --force regrade.
    summary = grade_batch([*sorted(subs.glob("*.ipynb")), subs / "good"], out, progress=False, limits=LIMITS,
                          isolation=isolation)
    assert (summary.graded, summary.resumed) == (0, 5)
    (subs / "empty.ipynb").write_bytes(b"{}")
    summary = grade_batch([subs / "empty.ipynb"], out, progress=False, limits=LIMITS, isolation=isolation)
    assert (summary.graded, summary.resumed) == (1, 0)
    summary = grade_batch([subs / "broken.ipynb"], out, force=True, progress=False, limits=LIMITS,
                          isolation=isolation)
    assert summary.graded == 1
    assert json.loads((out / "results" / "good.json").read_text())["total"] == good.total


@pytest.mark.slow  # the ganbias command end to end, in a process of its own (the grader's start-up)
def test_cli_grade_and_pytest_report(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    from ganbias_helpers.cli import main

    nb = "04_fairness"
    path = save(solution(nb), tmp_path / "zoe" / f"{nb}.ipynb")
    trusted = trusted_flag()
    assert main(["grade", str(path), "--out", str(tmp_path / "out"), "--no-progress", "--gradescope", *trusted]) == 0
    out = capsys.readouterr().out
    assert "1 students" in out and "isolation: " in out and "zoe" in (tmp_path / "out" / "grades.csv").read_text()
    scored = json.loads((tmp_path / "out" / "gradescope" / "zoe" / "results.json").read_text())
    assert scored["score"] == sum(i.points for i in items_of(nb)) == sum(t["max_score"] for t in scored["tests"])
    env = dict(os.environ, OMP_NUM_THREADS="1")
    bad = load(path)
    first = items_of(nb)[0].name
    set_source(bad, first, f"def {first}(*args):\n    return None\n")
    save(bad, tmp_path / f"{nb}.ipynb")
    proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(REPO / "autograder"),
                           "--submission", str(tmp_path / f"{nb}.ipynb"), *trusted], capture_output=True, text=True,
                          env=env, cwd=REPO, timeout=300)
    assert proc.returncode == 1 and f"FAILED autograder/test_submission.py::test_graded_function[{first}]" \
        in proc.stdout, proc.stdout[-2000:]
    assert f"{len(items_of(nb)) - 1} passed" in proc.stdout


def test_no_isolation_is_refused_unless_trusted(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sandbox, "bubblewrap_works", lambda: "bubblewrap is not installed")
    monkeypatch.setattr(os, "geteuid", lambda: 1000)
    with pytest.raises(sandbox.IsolationError, match="--trusted-submissions"):
        sandbox.choose_isolation()
    assert sandbox.choose_isolation(trusted=True).kind == "none"
    monkeypatch.setattr(os, "geteuid", lambda: 0)
    monkeypatch.setattr(sandbox, "closed_to_others", lambda paths: None)
    assert sandbox.choose_isolation().kind == "user"


def test_the_user_isolation_is_refused_when_nobody_cannot_run_this_python(monkeypatch: pytest.MonkeyPatch) -> None:
    import shutil
    import tempfile

    base = Path(tempfile.mkdtemp(dir="/tmp"))  # /tmp is open to all; pytest's own tmp_path is not
    try:
        base.chmod(0o755)
        private = base / "home" / ".pyenv" / "bin"
        private.mkdir(parents=True)
        python = private / "python3"
        python.write_text("")
        python.chmod(0o755)
        assert sandbox.closed_to_others([str(python)]) is None
        (base / "home").chmod(0o700)  # like /root: a Python installed under it is closed to 'nobody'
        assert sandbox.closed_to_others([str(python)]) == str(base / "home")
        (base / "home").chmod(0o755)
        python.chmod(0o700)
        assert sandbox.closed_to_others([str(python)]) == str(python)
    finally:
        (base / "home").chmod(0o755)
        shutil.rmtree(base)
    monkeypatch.setattr(sandbox, "bubblewrap_works", lambda: "bubblewrap is not installed")
    monkeypatch.setattr(os, "geteuid", lambda: 0)
    monkeypatch.setattr(sandbox, "closed_to_others", lambda paths: "/root")
    with pytest.raises(sandbox.IsolationError, match="'nobody' cannot run this Python .*/root is closed"):
        sandbox.choose_isolation()
    with pytest.raises(sandbox.IsolationError, match="--isolation user was asked for, but the user 'nobody'"):
        sandbox.choose_isolation("user")
    assert sandbox.choose_isolation(trusted=True).kind == "none"
