"""Options for ``pytest autograder --submission FILE``: the readable report of one notebook."""

from __future__ import annotations

import pytest


def pytest_addoption(parser: pytest.Parser) -> None:
    """Add ``--submission`` (the notebook to check) and ``--solutions`` (where expected answers come from)."""
    group = parser.getgroup("ganbias autograder")
    group.addoption("--submission", action="store", default=None, help="student notebook (.ipynb) to check")
    group.addoption("--solutions", action="store", default=None,
                    help="folder of the solution notebooks (default solutions/ganbias)")
