"""Every graded function of the course, defined once: one module per graded notebook.

Each module (``nb03_covariance.py``...) lists its :class:`Item` objects: the
function's name, notebook and points, the reference it is judged against
(a function of :mod:`ganbias_helpers.reference`), the graded helpers it may call
(replaced by reference versions while it is checked) and a builder of its visible
cases; the module also holds the comparisons and the known mistakes that judge
every case of the function, visible or hidden (see :class:`~.core.Case`).

This is the student's half of each graded function. The hidden cases live only
with the grader (``autograder.items``, drawn from the course secret), built with
the same case makers and comparisons. The release notebooks' check cells run the
visible cases through :func:`~.core.check`; the solutions' hidden test cells and
``ganbias grade`` run the hidden ones too.
To add a graded function: its answer and test cells in the solution notebook
(the test cell calls ``check("name")`` and, between nbgrader's hidden-test
markers, the grader's ``check_hidden`` of the name), one :class:`Item` in its notebook's module
here, its hidden builder in the grader's ``autograder/items/``, then ``make notebooks``.
"""

from __future__ import annotations

import functools
import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .core import Case

#: Name of the nbgrader assignment.
ASSIGNMENT = "ganbias"
#: The item modules, in course order.
MODULES = ("nb02_steering", "nb03_covariance", "nb04_fairness", "nb05_sources_of_bias", "nb06_mitigation")
#: File-name prefix of the course notebook with nothing to grade (it is still part of a submission).
UNGRADED_NOTEBOOK_PREFIX = "01_"


@dataclass(frozen=True)
class Item:
    """One graded function.

    Attributes:
        notebook: Notebook stem, e.g. ``"03_covariance"``.
        name: Function name; also the ``grade_id`` of its answer cell (its test cell's is ``test_<name>``).
        points: Points (the solution's test cell carries the same number; a test checks).
        reference: The :mod:`ganbias_helpers.reference` function it is judged against.
        visible: Returns its visible cases, expected values computed with the reference.
        depends: Graded functions of the same notebook that an answer may call: while this one is
            checked they are the reference versions (one mistake costs one function).
    """

    notebook: str
    name: str
    points: float
    reference: str
    visible: Callable[[], list[Case]]
    depends: tuple[str, ...] = ()

    @property
    def test_id(self) -> str:
        """The ``grade_id`` of the autograded test cell."""
        return f"test_{self.name}"


@functools.cache
def all_items() -> tuple[Item, ...]:
    """Every graded item, in course order.

    Raises:
        RuntimeError: If two items share a name or a dependency is not an item of its notebook.
    """
    found: list[Item] = []
    for module in MODULES:
        found += importlib.import_module(f"{__package__}.{module}").ITEMS
    names = [i.name for i in found]
    if len(set(names)) != len(names):
        raise RuntimeError(f"graded items defined twice: {sorted({n for n in names if names.count(n) > 1})}")
    by_name = {i.name: i for i in found}
    for item in found:
        for dep in item.depends:
            if dep not in by_name or by_name[dep].notebook != item.notebook or by_name[dep].depends:
                raise RuntimeError(f"{item.name} depends on {dep}, which is not an independent item of "
                                   f"{item.notebook}")
    return tuple(found)


def graded_notebooks() -> tuple[str, ...]:
    """Notebook stems that hold graded functions, in course order."""
    return tuple(dict.fromkeys(item.notebook for item in all_items()))


def items_of(notebook: str) -> list[Item]:
    """The graded items of one notebook, in notebook order."""
    return [item for item in all_items() if item.notebook == notebook]


def item_named(name: str) -> Item:
    """The graded item for function ``name``.

    Raises:
        KeyError: If no graded function has that name.
    """
    for item in all_items():
        if item.name == name:
            return item
    raise KeyError(f"no graded function named {name!r}")


@functools.cache
def visible_cases_of(name: str) -> tuple[Case, ...]:
    """The visible cases of item ``name`` (built once per process; expected values from the reference).

    Raises:
        KeyError: If no graded function has that name.
        RuntimeError: If the item has no visible case, or a case is hidden or for another function.
    """
    cases = tuple(item_named(name).visible())
    if not cases or not all(c.visible for c in cases):
        raise RuntimeError(f"{name} needs visible cases, and only visible ones here")
    wrong = [c.name for c in cases if c.function != name]
    if wrong:
        raise RuntimeError(f"cases of {name} are for other functions: {wrong}")
    return cases


def helper_sources(item: Item) -> dict[str, str]:
    """Standalone reference sources of ``item``'s graded helpers, under the helpers' graded names."""
    from ganbias_helpers.reference import standalone_source

    return {dep: standalone_source(item_named(dep).reference, dep) for dep in item.depends}


def notebooks_named_in(file_name: str) -> list[str]:
    """The graded notebooks whose stem a file name contains (``alice_03_covariance.ipynb``), in course order."""
    return [nb for nb in graded_notebooks() if nb in file_name]


def is_ungraded_notebook(file_name: str) -> bool:
    """Whether a file name is the course's ungraded notebook's (``01_models.ipynb``)."""
    return file_name.startswith(UNGRADED_NOTEBOOK_PREFIX)
