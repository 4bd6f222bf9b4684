"""Options for ``pytest autograder --submission FILE``: the readable report of one notebook."""

from __future__ import annotations

import pytest


def pytest_addoption(parser: pytest.Parser) -> None:
    """Add ``--submission`` (the notebook to check) and ``--trusted-submissions``."""
    group = parser.getgroup("ganbias autograder")
    group.addoption("--submission", action="store", default=None, help="student notebook (.ipynb) to check")
    group.addoption("--trusted-submissions", action="store_true", default=False,
                    help="run the notebook without isolation when bubblewrap is not available")
