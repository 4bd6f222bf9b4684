"""Shared fixtures: a tiny CelebA-format folder made on the fly (no real CelebA needed), tiny frozen models, and
the whole corpus graded once per session (tests/test_corpus.py, tests/test_agreement.py)."""

from __future__ import annotations

import os
from collections.abc import Iterator
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


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark the tests of :data:`SLOW_FILES` ``slow``; run the tests of the rendered solutions last.

    Those (tests/test_accessibility.py) render what the session's background notebook runs executed: placed
    last, they find the runs finished instead of waiting for them while the rest of the suite could run beside.
    """
    for item in items:
        if item.path.name in SLOW_FILES:
            item.add_marker(pytest.mark.slow)
    rendered = [item for item in items if "rendered" in getattr(item, "fixturenames", ())]
    items[:] = [item for item in items if item not in rendered] + rendered


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
    """Every answer of tests/corpus/ graded by one ``ganbias grade`` batch: entry name -> its notebook's grade."""
    from agreement_support import grade_corpus
    from corpus_support import load_corpus

    return grade_corpus(load_corpus(), tmp_path_factory.mktemp("corpus"))


@pytest.fixture(scope="session", autouse=True)
def notebook_jobs(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple | None]:
    """The notebook runs tests/test_notebooks.py's selected tests need, started when the session starts.

    They run in the background, one at a time, beside the other tests (which mostly keep one of two
    cores busy); tests/test_notebooks.py waits for them. Killed at the session's end if still running.
    """
    module = next((item.module for item in request.session.items if item.path.name == "test_notebooks.py"), None)
    started = module.start_notebook_runs(request.session, tmp_path_factory.mktemp("notebook-runs")) if module else None
    yield started
    if started is not None:
        started[0].cancel()


@pytest.fixture(autouse=True)
def _isolated_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GANBIAS_CACHE", str(tmp_path / "cache"))
