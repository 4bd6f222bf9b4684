"""The course secret: where the hidden cases' inputs come from. It never leaves the instructor.

Hidden cases are drawn at grading time from a random generator seeded by the course
secret and the graded function's name (:func:`rng_for`), so a student cannot know
them in advance and the same secret always gives the same cases (``nbgrader
autograde`` and ``ganbias grade`` agree; a re-grade is identical). The secret is, in
this order:

1. the environment variable ``GANBIAS_COURSE_SECRET`` (what the Gradescope and
   PrairieLearn bundles set; handy on a grading server);
2. the file ``course_secret.txt`` at the root of the instructor repository (next to
   ``course.toml``; ``.gitignore`` excludes it), written by ``ganbias secret init``.

Without either, grading still works on the public default cases (drawn from an empty
secret), and says so in its summary and ``grading.json``.
"""

from __future__ import annotations

import hashlib
import os
import secrets
from pathlib import Path

import numpy as np

#: Environment variable holding the course secret (wins over the file).
SECRET_ENV = "GANBIAS_COURSE_SECRET"
#: File name of the course secret, at the instructor repository's root.
SECRET_FILE = "course_secret.txt"
#: What the summary says when there is no secret.
PUBLIC_NOTE = ("hidden cases: the PUBLIC DEFAULTS (no course secret; anyone with the grader can know them). "
               f"Set {SECRET_ENV} or run `ganbias secret init` before grading for real")


def default_secret_path() -> Path:
    """``course_secret.txt`` at the root of the instructor repository (the folder above ``autograder/``)."""
    return Path(__file__).resolve().parents[2] / SECRET_FILE


def read_secret() -> str | None:
    """The course secret (see the module docstring), or None when there is none.

    Raises:
        ValueError: If the secret file exists but is empty.
    """
    value = os.environ.get(SECRET_ENV, "").strip()
    if value:
        return value
    path = default_secret_path()
    if path.is_file():
        text = path.read_text(encoding="utf-8").strip()
        if not text:
            raise ValueError(f"the course secret file {path} is empty: delete it and run `ganbias secret init`")
        return text
    return None


def init_secret(path: Path | None = None, force: bool = False) -> Path:
    """Write a new random course secret to ``path`` (default :func:`default_secret_path`), readable by you only.

    Raises:
        FileExistsError: If the file exists and ``force`` is False (a new secret changes every hidden case).
    """
    path = Path(path) if path is not None else default_secret_path()
    if path.exists() and not force:
        raise FileExistsError(f"{path} already exists; a new secret would change every hidden case "
                              "(pass --force to replace it)")
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(secrets.token_hex(32) + "\n")
    return path


def fingerprint(secret: str | None) -> str:
    """A short public name for a secret (the same in every place that graded with it), or ``"public"``."""
    if secret is None:
        return "public"
    return hashlib.sha256(b"ganbias course secret fingerprint\0" + secret.encode()).hexdigest()[:12]


def describe(secret: str | None) -> str:
    """One line for a summary: where the hidden cases came from."""
    if secret is None:
        return PUBLIC_NOTE
    return f"hidden cases: drawn from the course secret (fingerprint {fingerprint(secret)})"


def rng_for(key: str, secret: str | None) -> np.random.Generator:
    """The generator of ``key``'s hidden inputs (a graded function's name, or shared data) under ``secret``."""
    digest = hashlib.sha256(b"ganbias hidden cases\0" + (secret or "").encode() + b"\0" + key.encode()).digest()
    return np.random.default_rng(int.from_bytes(digest, "big"))
