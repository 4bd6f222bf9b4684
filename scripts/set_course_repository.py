#!/usr/bin/env python3
"""Point the course at your student edition: course.toml and the setup cell of every notebook.

On Google Colab, the first code cell of each student notebook installs the course package from
the public student edition (``ganbias export student``): the wheel in its ``dist/`` folder by its raw
GitHub address (``pip install git+<repository>@<ref>`` for another host). The repository and the ref
live in one place, ``course.toml``'s ``[student]`` table; this script writes them there and into the
setup cell of every notebook in ``solutions/`` (only that cell, only its install lines). Then
regenerate the student release with ``make notebooks``.

    .venv/bin/python scripts/set_course_repository.py https://github.com/YOU/YOUR-STUDENT-EDITION [--ref main]
    make notebooks

    .venv/bin/python scripts/set_course_repository.py            # re-apply course.toml (after editing it)
    .venv/bin/python scripts/set_course_repository.py --check    # exit 1 if a notebook disagrees with it
    .venv/bin/python scripts/set_course_repository.py --badges   # the README's "Open in Colab" badges
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
COURSE_TOML = ROOT / "course.toml"
ASSIGNMENT = "ganbias"
SOLUTIONS = ROOT / "solutions" / ASSIGNMENT
RELEASE = ROOT / "notebooks" / ASSIGNMENT

#: The setup cell is the first code cell that starts with this line.
SETUP_HEADER = "# Setup: run this cell first."

#: The install lines of every setup cell; the lines after them (the notebook's own imports) are left alone.
SETUP_BLOCK = '''\
# Setup: run this cell first. On Google Colab it installs the course package (once per session);
# anywhere else it only imports. Instructors: the address below is set in course.toml.
import importlib.util, os, subprocess, sys

GANBIAS_INSTALL = os.environ.get("GANBIAS_INSTALL", "{spec}")
ON_COLAB = importlib.util.find_spec("google") is not None and importlib.util.find_spec("google.colab") is not None
if ON_COLAB and importlib.util.find_spec("ganbias_helpers") is None:
    print("Installing the course package (once per Colab session, under a minute)...")
    installed = subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", GANBIAS_INSTALL],
                               capture_output=True, text=True)
    if installed.returncode != 0:
        raise RuntimeError(f"could not install the course package from {{GANBIAS_INSTALL}}:\\n"
                           + installed.stderr[-3000:])
    importlib.invalidate_caches()  # let this running kernel see the new package'''

_URL = re.compile(r"https://[^\s\"'@]+/[^\s\"'@/]+/[^\s\"'@/]+")
_REF = re.compile(r"[A-Za-z0-9._][A-Za-z0-9._/-]*")


class CourseConfigError(ValueError):
    """course.toml or a command-line value is not usable."""


def read_config(path: Path = COURSE_TOML) -> dict[str, str]:
    """The ``[student]`` table of course.toml (the public student edition): ``repository`` and ``ref``, checked."""
    try:
        student = tomllib.loads(path.read_text())["student"]
        config = {"repository": student["repository"], "ref": student["ref"]}
    except KeyError as missing:
        raise CourseConfigError(f"{path} needs a [student] table with repository and ref (missing {missing})") \
            from None
    check(config["repository"], config["ref"])
    return config


def wheel_name(pyproject: Path = ROOT / "pyproject.toml") -> str:
    """The file name of the student edition's wheel (its ``dist/`` folder), from the package's version."""
    project = tomllib.loads(pyproject.read_text())["project"]
    return f"{project['name']}-{project['version']}-py3-none-any.whl"


def check(repository: str, ref: str) -> None:
    """Refuse what students' pip could not install from (ssh addresses, local paths, odd refs)."""
    if not _URL.fullmatch(repository):
        raise CourseConfigError(
            f"repository must be an https address such as https://github.com/OWNER/REPO, not {repository!r} "
            "(students' Colab sessions have no ssh keys; a local path exists only on your machine)"
        )
    if not _REF.fullmatch(ref) or ".." in ref:
        raise CourseConfigError(f"ref must be a branch, tag or commit, not {ref!r}")


def install_spec(config: dict[str, str]) -> str:
    """What the setup cell gives ``pip install`` on Colab: the student edition's wheel by its raw GitHub address.

    On another host than GitHub: ``git+<repository>@<ref>`` (the student edition is a pip-installable
    project too).
    """
    owner_repo = github_owner_repo(config)
    if owner_repo is None:
        return f"git+{config['repository']}@{config['ref']}"
    owner, repo = owner_repo
    return f"https://github.com/{owner}/{repo}/raw/{config['ref']}/dist/{wheel_name()}"


def setup_block(config: dict[str, str]) -> str:
    """The install lines every setup cell starts with, for this configuration."""
    return SETUP_BLOCK.format(spec=install_spec(config))


def github_owner_repo(config: dict[str, str]) -> tuple[str, str] | None:
    """``(owner, repo)`` when the repository is on GitHub (Colab opens notebooks only from there), else None."""
    match = re.fullmatch(r"https://github\.com/([^/]+)/([^/]+?)(?:\.git)?/?", config["repository"])
    return (match.group(1), match.group(2)) if match else None


def colab_url(config: dict[str, str], notebook: str) -> str | None:
    """The "Open in Colab" address of a student notebook (``notebook`` like "01_models.ipynb"), or None."""
    owner_repo = github_owner_repo(config)
    if owner_repo is None:
        return None
    owner, repo = owner_repo
    return f"https://colab.research.google.com/github/{owner}/{repo}/blob/{config['ref']}/notebooks/{ASSIGNMENT}/{notebook}"


def badges(config: dict[str, str]) -> str:
    """Markdown lines, one "Open in Colab" badge per student notebook."""
    lines = []
    for path in sorted(RELEASE.glob("*.ipynb")):
        url = colab_url(config, path.name)
        if url is None:
            raise CourseConfigError("Colab opens notebooks from GitHub only: no badges for " + config["repository"])
        lines.append(f"[![Open {path.stem} in Colab](https://colab.research.google.com/assets/colab-badge.svg)]({url})")
    return "\n".join(lines)


def setup_cell_index(cells: list[dict]) -> int:
    """The index of the setup cell: the first code cell, which must start with SETUP_HEADER."""
    for index, cell in enumerate(cells):
        if cell["cell_type"] == "code":
            if "".join(cell["source"]).startswith(SETUP_HEADER):
                return index
            break
    raise CourseConfigError(f"the first code cell does not start with {SETUP_HEADER!r}")


def with_block(source: str, block: str) -> str:
    """``source`` with its install lines (up to the end of the ``if ON_COLAB`` statement) replaced by ``block``."""
    lines = source.splitlines(keepends=True)
    starts = [i for i, line in enumerate(lines) if line.startswith("if ON_COLAB")]
    if not starts:
        raise CourseConfigError("the setup cell has no 'if ON_COLAB' statement")
    end = starts[0] + 1
    while end < len(lines) and lines[end].startswith((" ", "\t")):
        end += 1
    rest = "".join(lines[end:])
    return block + ("\n" + rest if rest else "")


def _dumps(notebook: dict) -> str:
    # nbformat's own layout, so that only the changed lines show in a diff
    return json.dumps(notebook, indent=1, sort_keys=True, ensure_ascii=False) + "\n"


def rewrite_setup_cell(path: Path, block: str) -> bool:
    """Give the notebook's setup cell these install lines; True if the file changed.

    A quick read-modify-write of the JSON: every other cell, and this cell's metadata, stay as they were.
    """
    text = path.read_text(encoding="utf-8")
    notebook = json.loads(text)
    if _dumps(notebook) != text:
        raise CourseConfigError(f"{path} is not in nbformat's layout; save it from Jupyter first, then rerun")
    cell = notebook["cells"][setup_cell_index(notebook["cells"])]
    source = "".join(cell["source"])
    new_source = with_block(source, block)
    if new_source == source:
        return False
    cell["source"] = new_source.splitlines(keepends=True)
    path.write_text(_dumps(notebook), encoding="utf-8")
    return True


def setup_cell_problems(path: Path, block: str) -> list[str]:
    """Why this notebook's setup cell disagrees with ``block`` (empty when it agrees)."""
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    try:
        source = "".join(cells[setup_cell_index(cells)]["source"])
    except CourseConfigError as error:
        return [f"{path}: {error}"]
    if not source.startswith(block + "\n"):
        return [f"{path}: the setup cell's install lines differ from course.toml's"]
    return []


def write_config(repository: str, ref: str, path: Path = COURSE_TOML) -> None:
    """Set the student edition's ``repository`` and ``ref`` in course.toml's ``[student]`` table, keeping comments."""
    check(repository, ref)
    text = path.read_text()
    start = re.search(r"(?m)^\[student\]$", text)
    if start is None:
        raise CourseConfigError(f"{path}: no [student] table")
    end = re.search(r"(?m)^\[", text[start.end():])
    stop = start.end() + end.start() if end else len(text)
    table = text[start.end():stop]
    for key, value in (("repository", repository), ("ref", ref)):
        table, count = re.subn(rf'(?m)^{key} = ".*"$', f'{key} = "{value}"', table)
        if count != 1:
            raise CourseConfigError(f"{path}: expected one line '{key} = \"...\"' in [student]")
    path.write_text(text[:start.end()] + table + text[stop:])


def main(argv: list[str] | None = None) -> int:
    """The command line; returns the exit status."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("repository", nargs="?",
                        help="https address of your public student edition, e.g. https://github.com/YOU/REPO")
    parser.add_argument("--ref", help="branch, tag or commit to install from (default: keep course.toml's)")
    parser.add_argument("--check", action="store_true", help="change nothing; exit 1 if a notebook disagrees")
    parser.add_argument("--badges", action="store_true", help="print the README's Open in Colab badges")
    args = parser.parse_args(argv)
    try:
        config = read_config()
        if args.check or args.badges:
            if args.repository or args.ref:
                parser.error("--check and --badges take no repository or --ref")
            if args.badges:
                print(badges(config))
                return 0
            block = setup_block(config)
            problems = [p for folder in (SOLUTIONS, RELEASE) for nb in sorted(folder.glob("*.ipynb"))
                        for p in setup_cell_problems(nb, block)]
            for problem in problems:
                print(problem, file=sys.stderr)
            if problems:
                print("Fix with: python scripts/set_course_repository.py && make notebooks", file=sys.stderr)
            return 1 if problems else 0
        if args.repository or args.ref:
            write_config((args.repository or config["repository"]).rstrip("/"), args.ref or config["ref"])
            config = read_config()
        block = setup_block(config)
        changed = [nb.name for nb in sorted(SOLUTIONS.glob("*.ipynb")) if rewrite_setup_cell(nb, block)]
    except CourseConfigError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(f"Colab installs the course package with: pip install {install_spec(config)}")
    print(f"setup cells rewritten: {', '.join(changed) if changed else 'none (already up to date)'}")
    if changed:
        print("Now regenerate the student release: make notebooks")
    if colab_url(config, "01_models.ipynb"):
        print(f"Open in Colab: {colab_url(config, '01_models.ipynb')} (all badges: --badges)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
