"""``make agreement``: the whole corpus of student answers through real ``nbgrader autograde`` and ``ganbias grade``.

Prints every per-function disagreement (the bar is none) and every grade that differs from the
corpus's fair points; exits 1 if there is any. Takes a while: nbgrader runs every cell of every
submission (with small steering runs, GANBIAS_EXPERIMENT_SIZE=8,2).

Both graders run under a course secret, as a real course grades: the course's own
(GANBIAS_COURSE_SECRET or course_secret.txt) if there is one, else a fresh random one for
this run, so the hidden cases are not the public defaults (the report says which).

    python scripts/agreement.py [--workdir DIR] [--only FUNCTION ...]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))

from agreement_support import run_agreement  # noqa: E402
from corpus_support import load_corpus  # noqa: E402


def main() -> int:
    """Run the agreement check; exit 0 when nbgrader, ganbias grade and the corpus all agree."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workdir", default=None, help="where to build the nbgrader course (default: a temp folder)")
    parser.add_argument("--only", nargs="*", default=None, help="graded functions to include (default: all)")
    args = parser.parse_args()
    entries = [e for e in load_corpus() if not args.only or e.function in args.only]
    with tempfile.TemporaryDirectory(prefix="ganbias-agreement-") as tmp:
        report = run_agreement(entries, Path(args.workdir or tmp))
    print(report.text())
    return 1 if report.disagreements or report.unfair else 0


if __name__ == "__main__":
    raise SystemExit(main())
