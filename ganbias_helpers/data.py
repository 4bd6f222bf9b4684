"""Read CelebA in its official folder layout, decode it once, and serve 64x64 batches.

The folder looks like this (a full CelebA download, or any subset of its images)::

    root/
      img_align_celeba/000001.jpg ...
      list_attr_celeba.txt
      list_eval_partition.txt

Only the rows whose image exists are used. Decoded images are cached as a
``uint8`` array, so later epochs and later runs never decode a JPEG again.
"""

from __future__ import annotations

import hashlib
import logging
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from PIL import Image, UnidentifiedImageError

from .attributes import ATTRIBUTE_NAMES, N_ATTRIBUTES

log = logging.getLogger("ganbias")

IMAGE_SIZE = 64
IMAGE_DIR = "img_align_celeba"
ATTR_FILE = "list_attr_celeba.txt"
PARTITION_FILE = "list_eval_partition.txt"
SPLITS = {"train": 0, "val": 1, "valid": 1, "test": 2}
_CACHE_VERSION = "1"


class CelebAFormatError(ValueError):
    """A CelebA folder or one of its files is missing or not in the official format."""


@dataclass
class CelebASplit:
    """One split of CelebA, decoded.

    Attributes:
        images: ``uint8`` array of shape ``(n, 64, 64, 3)``, after the course transform.
        labels: ``uint8`` array of shape ``(n, 40)``, 1 where the attribute is present.
        filenames: The image file names, in the same order.
        n_listed: Rows of this split in the partition file.
        n_missing: Rows whose image file is not in the folder.
        n_unreadable: Image files that exist but could not be decoded (skipped).
    """

    images: np.ndarray
    labels: np.ndarray
    filenames: list[str]
    n_listed: int = 0
    n_missing: int = 0
    n_unreadable: int = 0

    def __len__(self) -> int:
        return len(self.filenames)

    def summary(self) -> str:
        """One line saying how many images were used and why any were left out."""
        return (
            f"{len(self)} images used of {self.n_listed} listed "
            f"({self.n_missing} not in the folder, {self.n_unreadable} unreadable and skipped)"
        )

    def batch(
        self, indices: np.ndarray | slice, device: torch.device | str = "cpu"
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Return images scaled to [-1, 1] as ``(b, 3, 64, 64)`` floats and labels as ``(b, 40)`` floats."""
        return to_model_input(self.images[indices], device), torch.from_numpy(
            np.ascontiguousarray(self.labels[indices])
        ).float().to(device)


def to_model_input(images: np.ndarray, device: torch.device | str = "cpu") -> torch.Tensor:
    """Turn ``uint8`` images ``(b, 64, 64, 3)`` into the models' input: ``(b, 3, 64, 64)`` in [-1, 1]."""
    x = torch.from_numpy(np.ascontiguousarray(images)).to(device)
    return x.permute(0, 3, 1, 2).float().div_(127.5).sub_(1.0)


def course_transform(image: Image.Image) -> np.ndarray:
    """Apply the course transform (Resize 64, CenterCrop 64) and return ``uint8`` HWC RGB."""
    from torchvision.transforms import functional as TF

    image = image.convert("RGB")
    if image.size != (IMAGE_SIZE, IMAGE_SIZE):
        image = TF.center_crop(TF.resize(image, IMAGE_SIZE, antialias=True), IMAGE_SIZE)
    return np.asarray(image, dtype=np.uint8)


def _require(path: Path, what: str) -> Path:
    if not path.exists():
        raise CelebAFormatError(
            f"{what} not found: {path}. A CelebA folder needs {IMAGE_DIR}/, {ATTR_FILE} and "
            f"{PARTITION_FILE} side by side (the official layout)."
        )
    return path


def read_attributes(path: str | os.PathLike) -> tuple[list[str], np.ndarray]:
    """Parse ``list_attr_celeba.txt``.

    Returns:
        The file names and a ``uint8`` array ``(n, 40)`` of 0/1 labels.

    Raises:
        CelebAFormatError: Naming the file and line when the format is not the official one.
    """
    path = Path(path)
    with open(path, encoding="utf-8", errors="replace") as f:
        lines = f.read().splitlines()
    if len(lines) < 2:
        raise CelebAFormatError(f"{path}: too short; expected a count line and a header line")
    header = lines[1].split()
    if tuple(header) != ATTRIBUTE_NAMES:
        raise CelebAFormatError(
            f"{path}, line 2: expected the 40 official attribute names, found {len(header)} names starting {header[:3]}"
        )
    names: list[str] = []
    rows: list[list[int]] = []
    for lineno, line in enumerate(lines[2:], start=3):
        parts = line.split()
        if not parts:
            continue
        if len(parts) != N_ATTRIBUTES + 1:
            raise CelebAFormatError(
                f"{path}, line {lineno}: expected a file name and 40 values, found {len(parts)} fields"
            )
        try:
            values = [int(v) for v in parts[1:]]
        except ValueError:
            raise CelebAFormatError(f"{path}, line {lineno}: values must be -1 or 1: {line[:80]!r}") from None
        if any(v not in (-1, 1) for v in values):
            raise CelebAFormatError(f"{path}, line {lineno}: values must be -1 or 1: {line[:80]!r}")
        names.append(parts[0])
        rows.append(values)
    labels = (np.asarray(rows, dtype=np.int8).reshape(-1, N_ATTRIBUTES) > 0).astype(np.uint8)
    return names, labels


def read_partition(path: str | os.PathLike) -> dict[str, int]:
    """Parse ``list_eval_partition.txt`` into ``{file name: 0 train | 1 val | 2 test}``."""
    path = Path(path)
    split_of: dict[str, int] = {}
    with open(path, encoding="utf-8", errors="replace") as f:
        for lineno, line in enumerate(f, start=1):
            parts = line.split()
            if not parts:
                continue
            if len(parts) != 2 or parts[1] not in ("0", "1", "2"):
                raise CelebAFormatError(
                    f"{path}, line {lineno}: expected '<file name> <0|1|2>', found {line.strip()[:80]!r}"
                )
            split_of[parts[0]] = int(parts[1])
    return split_of


def default_cache_dir() -> Path:
    """Where decoded images are cached: ``$GANBIAS_CACHE``, else ``~/.cache/ganbias``."""
    return Path(os.environ.get("GANBIAS_CACHE", Path.home() / ".cache" / "ganbias"))


def load_celeba(
    root: str | os.PathLike,
    split: str = "train",
    cache_dir: str | os.PathLike | None = None,
    limit: int | None = None,
    progress: bool = True,
) -> CelebASplit:
    """Load one split of a CelebA folder, decoding each image at most once.

    Args:
        root: The CelebA folder (official layout).
        split: ``"train"``, ``"val"`` or ``"test"``.
        cache_dir: Where to keep the decoded array (default: :func:`default_cache_dir`).
            Pass ``False``-like ``""`` to disable caching.
        limit: Use only the first ``limit`` available images of the split.
        progress: Show a progress bar while decoding.

    Returns:
        The decoded split; its :meth:`CelebASplit.summary` says how many rows were used.

    Raises:
        CelebAFormatError: For a missing folder or file, or a malformed text file.
    """
    from tqdm.auto import tqdm

    if split not in SPLITS:
        raise ValueError(f"split must be one of 'train', 'val', 'test', not {split!r}")
    root = Path(root)
    if not root.is_dir():
        raise CelebAFormatError(f"CelebA folder not found: {root}")
    image_dir = _require(root / IMAGE_DIR, "image folder")
    attr_path = _require(root / ATTR_FILE, "attribute file")
    part_path = _require(root / PARTITION_FILE, "partition file")

    split_of = read_partition(part_path)
    names, labels = read_attributes(attr_path)
    present = set(os.listdir(image_dir))
    wanted = SPLITS[split]
    listed = [i for i, n in enumerate(names) if split_of.get(n) == wanted]
    rows = [i for i in listed if names[i] in present]
    if limit is not None:
        rows = rows[:limit]
    n_missing = len(listed) - len([i for i in listed if names[i] in present])

    key = hashlib.sha1(
        "\n".join([_CACHE_VERSION, str(root.resolve()), split, str(limit), *(names[i] for i in rows)]).encode()
    ).hexdigest()[:16]
    cache = Path(cache_dir) if cache_dir not in (None, "") else (default_cache_dir() if cache_dir is None else None)
    cache_file = cache / f"celeba64-{split}-{key}.npz" if cache else None
    if cache_file is not None and cache_file.exists():
        try:
            with np.load(cache_file) as z:
                data = CelebASplit(
                    z["images"],
                    z["labels"],
                    [str(s) for s in z["filenames"]],
                    len(listed),
                    n_missing,
                    int(z["n_unreadable"]),
                )
            log.info("CelebA %s: %s (from cache %s)", split, data.summary(), cache_file)
            return data
        except (OSError, ValueError, KeyError) as err:
            log.warning("ignoring unreadable cache %s (%s); decoding again", cache_file, err)

    images = np.empty((len(rows), IMAGE_SIZE, IMAGE_SIZE, 3), dtype=np.uint8)
    kept: list[int] = []
    unreadable: list[str] = []
    for i in tqdm(rows, desc=f"decoding CelebA {split}", unit="img", disable=not progress, mininterval=1):
        try:
            with Image.open(image_dir / names[i]) as im:
                images[len(kept)] = course_transform(im)
            kept.append(i)
        except (OSError, UnidentifiedImageError, ValueError, SyntaxError):
            unreadable.append(names[i])
    if unreadable:
        log.warning(
            "CelebA %s: skipped %d unreadable image(s), for example %s",
            split,
            len(unreadable),
            ", ".join(unreadable[:3]),
        )
    data = CelebASplit(
        images[: len(kept)], labels[kept], [names[i] for i in kept], len(listed), n_missing, len(unreadable)
    )
    if cache_file is not None:
        cache_file.parent.mkdir(parents=True, exist_ok=True)
        tmp = cache_file.with_suffix(".tmp.npz")
        np.savez(
            tmp,
            images=data.images,
            labels=data.labels,
            filenames=np.asarray(data.filenames),
            n_unreadable=np.asarray(data.n_unreadable),
        )
        os.replace(tmp, cache_file)
    log.info("CelebA %s: %s", split, data.summary())
    return data

