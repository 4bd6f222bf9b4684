"""Shared fixtures: a tiny CelebA-format folder made on the fly (no real CelebA needed), tiny frozen models, and
the whole corpus graded once per session (tests/test_corpus.py, tests/test_agreement.py)."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

os.environ.setdefault("MPLBACKEND", "Agg")
if os.environ.get("PYTEST_XDIST_WORKER"):
    # Each pytest-xdist worker keeps to one thread (and so do the processes its tests start: kernels, the demo,
    # nbgrader): two workers on two cores, each with a pool of threads per core, spend the cores waiting on each
    # other. Set before anything imports torch or numpy.
    for _name in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        os.environ.setdefault(_name, "1")

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

#: The test files by the time they take, longest first (measured with --durations=0; about a minute or more of
#: CPU each). ``make test`` runs two pytest-xdist workers with ``--dist loadfile``: each file runs whole on one
#: worker (its module fixtures are built once), and a worker takes the next file when it is done, so the
#: longest start first and the short ones fill in around them. A file missing here runs after these.
LONGEST_FILES = ("test_notebooks.py", "test_agreement.py", "test_guide.py", "test_student_edition.py",
                 "test_hostile.py", "test_jupyterlab.py", "test_corpus.py", "test_autograder.py", "test_reports.py",
                 "test_training.py", "test_platforms.py")
#: Run last: it renders the notebooks that tests/test_notebooks.py's runs executed (shared, see conftest's
#: ``shared_runs``), so it finds them done instead of running them itself.
LAST_FILES = ("test_accessibility.py",)


def pytest_itemcollected(item: pytest.Item) -> None:
    """Mark the tests of :data:`SLOW_FILES` ``slow``."""
    if item.path.name in SLOW_FILES:
        item.add_marker(pytest.mark.slow)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Order the test files for pytest-xdist: :data:`LONGEST_FILES` first, :data:`LAST_FILES` last.

    Each file's tests keep their order and stay together (``--dist loadfile`` hands out whole files).
    """
    def rank(item: pytest.Item) -> int:
        name = item.path.name
        if name in LONGEST_FILES:
            return LONGEST_FILES.index(name)
        return len(LONGEST_FILES) + 1 if name in LAST_FILES else len(LONGEST_FILES)

    items.sort(key=rank)


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
def corpus_out(corpus_grades: dict, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The ``--out`` folder of the corpus's batch (``corpus_grades``): results, feedback, report.html."""
    from notebook_support import shared_root

    return shared_root(tmp_path_factory) / "corpus" / "out"


@pytest.fixture(scope="session")
def shared_runs(tmp_path_factory: pytest.TempPathFactory):  # noqa: ANN201 (a notebook_support.SharedRuns)
    """The session's notebook runs (tests/notebook_support.py): each runs once, the first time a test asks."""
    from notebook_support import SharedRuns, notebook_job, shared_root

    return SharedRuns(shared_root(tmp_path_factory) / "notebook-runs", notebook_job)


@pytest.fixture(autouse=True)
def _isolated_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GANBIAS_CACHE", str(tmp_path / "cache"))
