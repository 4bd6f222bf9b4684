"""Load the shipped pretrained weights (checked against their sha256) or a user's own.

The files use the original course's format: ``{"gen": state_dict}`` for the
generator and ``{"classifier": state_dict}`` for the classifier.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import torch
from torch import nn

from .attributes import N_ATTRIBUTES
from .device import pick_device
from .models import Z_DIM, Classifier, Generator

WEIGHTS_DIR = Path(__file__).resolve().parent / "weights"
GENERATOR_FILE = "pretrained_celeba.pth"
CLASSIFIER_FILE = "pretrained_classifier.pth"
CHECKSUM_FILE = "SHA256SUMS"


class WeightsError(RuntimeError):
    """A weights file is missing, damaged, or does not hold the expected model."""


def sha256_file(path: str | os.PathLike) -> str:
    """Return the hex sha256 digest of a file."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def shipped_checksums() -> dict[str, str]:
    """The expected sha256 of each shipped weights file, from ``weights/SHA256SUMS``."""
    sums: dict[str, str] = {}
    path = WEIGHTS_DIR / CHECKSUM_FILE
    if path.exists():
        for line in path.read_text().splitlines():
            if line.strip():
                digest, name = line.split(maxsplit=1)
                sums[name.strip().lstrip("*")] = digest
    return sums


_REINSTALL = (
    "The shipped weights come with the package: reinstall it (pip install --force-reinstall "
    "ganbias_helpers, or 'git checkout -- ganbias_helpers/weights' in a clone), or pass the path "
    "of your own weights."
)


def _read_state_dict(path: Path, key: str, expected_sha256: str | None) -> dict[str, torch.Tensor]:
    if not path.exists():
        raise WeightsError(f"weights file not found: {path}. {_REINSTALL}")
    if expected_sha256 is not None:
        actual = sha256_file(path)
        if actual != expected_sha256:
            raise WeightsError(
                f"weights file {path} is damaged or is not the expected file: its sha256 is {actual}, "
                f"expected {expected_sha256} ({path.stat().st_size} bytes on disk). {_REINSTALL}"
            )
    try:
        obj = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as err:  # torch raises many types for a bad file
        raise WeightsError(f"{path} is not a readable PyTorch weights file ({type(err).__name__}: {err})") from err
    if isinstance(obj, dict) and key in obj and isinstance(obj[key], dict):
        obj = obj[key]
    if not isinstance(obj, dict) or not all(isinstance(v, torch.Tensor) for v in obj.values()):
        found = sorted(map(str, obj))[:5] if isinstance(obj, dict) else type(obj).__name__
        raise WeightsError(
            f"{path} does not hold a state dict under the key {key!r} (the course's format); found {found}"
        )
    return obj


def _load_into(model: nn.Module, path: Path, key: str, sha256: str | None, device: torch.device) -> nn.Module:
    state = _read_state_dict(path, key, sha256)
    try:
        model.load_state_dict(state)
    except RuntimeError as err:
        raise WeightsError(
            f"{path} holds weights for a different model than {type(model).__name__}: {str(err).splitlines()[0]}"
        ) from err
    model.to(device).eval()
    model.requires_grad_(False)
    return model


def _resolve(path: str | os.PathLike | None, filename: str, sha256: str | None) -> tuple[Path, str | None]:
    if path is None:
        expected = shipped_checksums().get(filename)
        if expected is None:
            raise WeightsError(f"no checksum for {filename} in {WEIGHTS_DIR / CHECKSUM_FILE}. {_REINSTALL}")
        return WEIGHTS_DIR / filename, expected
    return Path(path), sha256


def load_generator(
    path: str | os.PathLike | None = None,
    device: torch.device | str | None = None,
    sha256: str | None = None,
) -> Generator:
    """Load a generator (the shipped one when ``path`` is None), in eval mode with frozen weights.

    Args:
        path: A file in the course's format ``{"gen": state_dict}`` (a bare state dict also works).
        device: Where to put it; default GPU if available, else CPU.
        sha256: Optional expected checksum for a file of your own (shipped files are always checked).

    Raises:
        WeightsError: Naming the file, if it is missing, fails its checksum, or holds another model.
    """
    file, expected = _resolve(path, GENERATOR_FILE, sha256)
    return _load_into(Generator(Z_DIM), file, "gen", expected, pick_device(device))


def load_classifier(
    path: str | os.PathLike | None = None,
    device: torch.device | str | None = None,
    sha256: str | None = None,
) -> Classifier:
    """Load a 40-attribute classifier (the shipped one when ``path`` is None); see :func:`load_generator`."""
    file, expected = _resolve(path, CLASSIFIER_FILE, sha256)
    return _load_into(Classifier(n_classes=N_ATTRIBUTES), file, "classifier", expected, pick_device(device))


def load_pretrained(
    device: torch.device | str | None = None,
    generator_path: str | os.PathLike | None = None,
    classifier_path: str | os.PathLike | None = None,
) -> tuple[Generator, Classifier]:
    """Load the generator and the classifier in one call: eval mode, frozen, on the chosen device.

    Args:
        device: ``"cpu"``, ``"cuda"``...; default GPU if available, else CPU.
        generator_path: Use these generator weights instead of the shipped ones.
        classifier_path: Use these classifier weights instead of the shipped ones.

    Returns:
        ``(generator, classifier)``.

    Raises:
        WeightsError: If a file is missing, damaged (checksum) or holds the wrong model.
    """
    device = pick_device(device)
    return load_generator(generator_path, device), load_classifier(classifier_path, device)
