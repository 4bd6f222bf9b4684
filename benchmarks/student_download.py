"""What a fresh Colab session downloads to install the student edition: its wheel and what Colab lacks.

Builds the student edition (``ganbias export student``) into a temporary folder, then downloads,
with pip and without their dependencies, the newest wheels of the course's dependencies that a
Colab runtime does not ship (fairlearn; narwhals, which Colab ships today but older runtimes did
not, is counted apart). Prints each size and the total. Needs the network (PyPI).

    python benchmarks/student_download.py
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

#: Course dependencies a Colab runtime does not have (torch, numpy, pandas, matplotlib... it has).
NOT_ON_COLAB = ("fairlearn",)
#: Dependencies of those that only older Colab runtimes lack.
MAYBE_NOT_ON_COLAB = ("narwhals",)


def download(name: str, folder: Path) -> Path:
    """The newest wheel of ``name`` from PyPI, without its dependencies."""
    subprocess.run([sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--only-binary", ":all:",
                    "--dest", str(folder), name], check=True, timeout=300)
    return next(p for p in folder.glob("*.whl") if p.name.lower().startswith(name.lower().replace("-", "_")))


def main() -> int:
    from autograder.student_edition import export_student

    mb = 2**20
    with tempfile.TemporaryDirectory(prefix="ganbias-student-") as tmp:
        edition = export_student(Path(tmp) / "edition")
        sizes = {edition.wheel.name: edition.wheel.stat().st_size}
        maybe = {}
        for name in NOT_ON_COLAB + MAYBE_NOT_ON_COLAB:
            wheel = download(name, Path(tmp) / "wheels" / name)
            (maybe if name in MAYBE_NOT_ON_COLAB else sizes)[wheel.name] = wheel.stat().st_size
    for name, size in {**sizes, **maybe}.items():
        print(f"{name:<50} {size / mb:6.2f} MiB" + ("  (only where Colab lacks it)" if name in maybe else ""))
    total = sum(sizes.values())
    print(f"{'downloaded by a fresh Colab session':<50} {total / mb:6.2f} MiB "
          f"({(total + sum(maybe.values())) / mb:.2f} MiB where Colab also lacks {', '.join(MAYBE_NOT_ON_COLAB)})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
