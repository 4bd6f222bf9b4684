"""Write autograder/course_cells.json: hashes of the course's own (read-only) cells of every notebook.

The grader uses them to tell the course's cells from a student's when a notebook has
lost its nbgrader metadata (see autograder/notebook.py). It also writes
autograder/manual_questions.json, the written questions graded by hand (see autograder/manual.py).
``make notebooks`` runs this; ``--check`` exits 1 when a file is out of date (the tests run that).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from autograder.manual import QUESTIONS_FILE, questions_from_notebooks, write_questions  # noqa: E402
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
    """Write the files, or with ``--check`` compare them."""
    files = {TARGET: json.dumps(course_cells(), indent=1) + "\n",
             QUESTIONS_FILE: write_questions(questions_from_notebooks(REPO / "solutions" / "ganbias"))}
    if "--check" in sys.argv[1:]:
        stale = [path for path, text in files.items()
                 if (path.read_text(encoding="utf-8") if path.exists() else "") != text]
        for path in stale:
            print(f"{path.relative_to(REPO)} is out of date: run `make notebooks`", file=sys.stderr)
        return 1 if stale else 0
    for path, text in files.items():
        path.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
