"""Shared fixtures: a tiny CelebA-format folder made on the fly (no real CelebA needed), tiny frozen models, and
the whole corpus graded once per session (tests/test_corpus.py, tests/test_agreement.py)."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

os.environ.setdefault("MPLBACKEND", "Agg")

from ganbias_helpers.attributes import ATTRIBUTE_NAMES  # noqa: E402


def make_tiny_celeba(
    root: Path,
    n_per_split: tuple[int, int, int] = (12, 4, 4),
    missing: int = 2,
    corrupt: int = 1,
    size: tuple[int, int] = (78, 96),
    seed: int = 0,
) -> Path:
    """Write a CelebA folder in the official layout with random faces-to-be.

    ``missing`` rows are listed but have no image; ``corrupt`` train images are not JPEGs.
    Images are ``size`` (w, h), so the course transform has real work to do.
    """
    from PIL import Image

    rng = np.random.default_rng(seed)
    img_dir = root / "img_align_celeba"
    img_dir.mkdir(parents=True)
    total = sum(n_per_split) + missing
    names = [f"{i:06d}.jpg" for i in range(1, total + 1)]
    splits = [0] * (n_per_split[0] + missing) + [1] * n_per_split[1] + [2] * n_per_split[2]
    labels = rng.choice([-1, 1], size=(total, 40))
    lines = [str(total), " ".join(ATTRIBUTE_NAMES)]
    lines += [name + "  " + " ".join(f"{v:2d}" for v in row) for name, row in zip(names, labels)]
    (root / "list_attr_celeba.txt").write_text("\n".join(lines) + "\n")
    (root / "list_eval_partition.txt").write_bytes("".join(f"{n} {s}\r\n" for n, s in zip(names, splits)).encode())
    for i, name in enumerate(names):
        if i < missing:
            continue  # listed, but the image is absent
        if missing <= i < missing + corrupt:
            (img_dir / name).write_bytes(b"this is not a jpeg")
            continue
        pixels = rng.integers(0, 256, size=(size[1], size[0], 3), dtype=np.uint8)
        Image.fromarray(pixels).save(img_dir / name, quality=90)
    return root


#: Test files left out of ``make test-fast`` as a whole, though their tests carry no ``slow`` mark of their own.
SLOW_FILES = {"test_hostile.py": "each hostile submission is graded in a sandbox of its own"}

#: The longest tests (about a minute or more of CPU each), longest first: ``make test``'s two pytest-xdist
#: workers take tests in the order collected, each the next when it is nearly done (``--dist loadgroup``), so
#: the longest start first and the short ones fill in around them. A test missing here still runs, later.
LONGEST_FIRST = (
    "test_agreement.py::test_nbgrader_and_ganbias_grade_agree_per_function",
    "test_notebooks.py::test_solution_notebook_runs_headless_validates_and_draws[06_mitigation.ipynb]",
    "test_student_edition.py::test_grading_under_secrets",
    "test_corpus.py::",
    "test_notebooks.py::test_nbgrader_validate_fails_on_every_untouched_release_notebook",
    "test_guide.py::test_the_quickstart_table_is_what_the_demo_prints",
    "test_hostile.py::",
    "test_guide.py::test_grading_as_the_guide_says_with_both_tools",
    "test_notebooks.py::test_solution_notebook_runs_headless_validates_and_draws",
    "test_notebooks.py::test_notebook_1_trains_a_classifier_when_given_a_celeba_folder",
    "test_student_edition.py::",
    "test_jupyterlab.py::",
    "test_reports.py::",
)

#: Module-scoped fixtures worth building once: under pytest-xdist, the tests using one run on one worker.
SHARED_MODULE_FIXTURES = ("sandbox_batch", "robustness_batch", "fairness_class", "edition", "bundles", "colab",
                          "jupyterlab", "release", "world", "rendered")


def _rank(item: pytest.Item) -> int:
    where = f"{item.path.name}::{item.name}"
    return next((i for i, prefix in enumerate(LONGEST_FIRST) if where.startswith(prefix)), len(LONGEST_FIRST))


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark the tests of :data:`SLOW_FILES` ``slow``; order and group the tests for pytest-xdist.

    The longest tests come first (:data:`LONGEST_FIRST`); the tests sharing an expensive module fixture
    (:data:`SHARED_MODULE_FIXTURES`) form one group, which ``--dist loadgroup`` gives to one worker; the tests of
    the rendered solutions (tests/test_accessibility.py) come last, when the notebook runs they render are done.
    """
    for item in items:
        if item.path.name in SLOW_FILES:
            item.add_marker(pytest.mark.slow)
        shared = [f for f in SHARED_MODULE_FIXTURES if f in getattr(item, "fixturenames", ())]
        if shared:
            item.add_marker(pytest.mark.xdist_group(f"{item.path.stem}.{shared[0]}"))
    items.sort(key=lambda item: (_rank(item), "rendered" in getattr(item, "fixturenames", ())))


@pytest.fixture
def tiny_models():
    """A seeded, frozen, eval-mode generator and 40-attribute classifier of the course's shapes, 8 channels wide."""
    import torch

    from ganbias_helpers import Z_DIM, Classifier, Generator

    torch.manual_seed(0)
    gen, classifier = Generator(z_dim=Z_DIM, hidden_dim=8).eval(), Classifier(n_classes=40, hidden_dim=8).eval()
    return gen.requires_grad_(False), classifier.requires_grad_(False)


@pytest.fixture
def tiny_celeba(tmp_path: Path) -> Path:
    return make_tiny_celeba(tmp_path / "celeba")


@pytest.fixture(scope="session")
def corpus_grades(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """Every answer of tests/corpus/ graded by one ``ganbias grade`` batch: entry name -> its notebook's grade.

    Graded once per session, shared by the pytest-xdist workers (the first to ask grades, the others wait).
    """
    import json

    from agreement_support import grade_corpus
    from corpus_support import load_corpus
    from filelock import FileLock
    from notebook_support import shared_root

    from autograder.records import StudentGrade

    root = shared_root(tmp_path_factory)
    saved = root / "corpus-grades.json"
    with FileLock(str(root / "corpus-grades.lock")):
        if not saved.exists():
            grades = grade_corpus(load_corpus(), root / "corpus")
            saved.write_text(json.dumps({name: grade.to_json() for name, grade in grades.items()}))
    return {name: StudentGrade.from_json(data) for name, data in json.loads(saved.read_text()).items()}


@pytest.fixture(scope="session")
def shared_runs(tmp_path_factory: pytest.TempPathFactory):  # noqa: ANN201 (a notebook_support.SharedRuns)
    """The session's notebook runs (tests/notebook_support.py): each runs once, the first time a test asks."""
    from notebook_support import SharedRuns, notebook_job, shared_root

    return SharedRuns(shared_root(tmp_path_factory) / "notebook-runs", notebook_job)


@pytest.fixture(autouse=True)
def _isolated_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GANBIAS_CACHE", str(tmp_path / "cache"))
