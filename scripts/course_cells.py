"""Write autograder/course_cells.json: hashes of the course's own (read-only) cells of every notebook.

The grader uses them to tell the course's cells from a student's when a notebook has
lost its nbgrader metadata (see autograder/notebook.py). ``make notebooks`` runs this;
``--check`` exits 1 when the file is out of date (the tests run that).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from autograder.notebook import cell_hash, read_notebook  # noqa: E402

TARGET = REPO / "autograder" / "course_cells.json"


def course_cells() -> dict[str, list[str]]:
    """Notebook stem -> sorted hashes of its code cells that are not answer cells."""
    out = {}
    for path in sorted((REPO / "solutions" / "ganbias").glob("*.ipynb")):
        cells = read_notebook(path)
        out[path.stem] = sorted({cell_hash(c.source) for c in cells if c.cell_type == "code" and not c.solution})
    return out


def main() -> int:
    """Write the file, or with ``--check`` compare it."""
    text = json.dumps(course_cells(), indent=1) + "\n"
    if "--check" in sys.argv[1:]:
        current = TARGET.read_text(encoding="utf-8") if TARGET.exists() else ""
        if current != text:
            print(f"{TARGET.relative_to(REPO)} is out of date: run `make notebooks`", file=sys.stderr)
            return 1
        return 0
    TARGET.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
