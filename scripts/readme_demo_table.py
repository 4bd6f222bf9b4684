"""The README's quickstart table: what ``ganbias demo`` prints, written into README.md or checked against it.

    python scripts/readme_demo_table.py           # run the demo (its defaults, seed 0) and rewrite the table
    python scripts/readme_demo_table.py --check   # run it and fail if the README's table differs

The table sits between the ``<!-- demo-table -->`` and ``<!-- /demo-table -->`` lines of
README.md. ``--check`` accepts the same attributes in the same order with covariances within
``--rtol`` (default 2%), since a CPU with native bfloat16 runs the demo in bfloat16 (about 1%
larger magnitudes; see the README).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import re
import sys
import tempfile
from pathlib import Path

README = Path(__file__).resolve().parent.parent / "README.md"
START, END = "<!-- demo-table -->", "<!-- /demo-table -->"
_ROW = re.compile(r"^\s*(\d+)\s+(\d+)\s+(\S+)\s+([+-]\d+\.\d+)\s*$")


def demo_table() -> str:
    """Run ``ganbias demo`` at its defaults (seed 0; no figures saved) and return the table it prints."""
    from ganbias_helpers.demo import run_demo

    printed = io.StringIO()
    with tempfile.TemporaryDirectory() as out, contextlib.redirect_stdout(printed):
        run_demo(out_dir=out, progress=False, figures=False)  # the table does not depend on the figures
    lines = printed.getvalue().splitlines()
    head = next(i for i, line in enumerate(lines) if line.strip().startswith("#  index"))
    rows = [line for line in lines[head + 1:] if _ROW.match(line)]
    return "\n".join([lines[head], *rows])


def readme_table(text: str) -> str:
    """The table between the markers of README.md's text.

    Raises:
        ValueError: If the markers or the code block between them are missing.
    """
    if START not in text or END not in text:
        raise ValueError(f"README.md has no {START} ... {END} block")
    block = text.split(START, 1)[1].split(END, 1)[0]
    match = re.search(r"```\n(.*?)\n```", block, re.S)
    if not match:
        raise ValueError("the demo-table block holds no ``` code block")
    return match.group(1)


def rows(table: str) -> list[tuple[str, float]]:
    """(attribute, covariance) per row of a table."""
    return [(m.group(3), float(m.group(4))) for line in table.splitlines() if (m := _ROW.match(line))]


def differences(expected: str, got: str, rtol: float) -> list[str]:
    """How two tables differ (empty: the same attributes in the same order, covariances within ``rtol``)."""
    a, b = rows(expected), rows(got)
    if [n for n, _ in a] != [n for n, _ in b]:
        return [f"the attributes differ: README {[n for n, _ in a]}, demo {[n for n, _ in b]}"]
    return [f"{n}: README {x:+.3f}, demo {y:+.3f}" for (n, x), (_, y) in zip(a, b) if abs(x - y) > rtol * abs(y)]


def main(argv: list[str] | None = None) -> int:
    """Rewrite or check the table; exit status 1 when --check finds a difference."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--check", action="store_true", help="compare instead of rewriting")
    parser.add_argument("--rtol", type=float, default=0.02)
    args = parser.parse_args(argv)
    text = README.read_text(encoding="utf-8")
    old = readme_table(text)
    new = demo_table()
    if args.check:
        problems = differences(old, new, args.rtol)
        print("\n".join(problems) or "README's table matches ganbias demo")
        return 1 if problems else 0
    README.write_text(text.replace(old, new, 1), encoding="utf-8")
    print(new)
    return 0


if __name__ == "__main__":
    sys.exit(main())
