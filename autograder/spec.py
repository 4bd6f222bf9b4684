"""The graded items of the course: which notebook holds which function, and its points.

This table is the contract shared with the notebooks in ``solutions/ganbias/``. The
points are read from each notebook's nbgrader metadata when it is there; the numbers
below are only the fallback for a submission whose metadata was lost (Colab, VS Code).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

#: Name of the nbgrader assignment.
ASSIGNMENT = "ganbias"


@dataclass(frozen=True)
class GradedItem:
    """One graded function.

    Attributes:
        notebook: Notebook stem, e.g. ``"03_covariance"``.
        name: Function name; also the ``grade_id`` of its solution cell.
        points: Fallback points (the test cell's nbgrader metadata wins).
    """

    notebook: str
    name: str
    points: float

    @property
    def test_id(self) -> str:
        """The ``grade_id`` of the autograded test cell."""
        return f"test_{self.name}"


GRADED_ITEMS: tuple[GradedItem, ...] = (
    GradedItem("02_steering", "steering_step", 2),
    GradedItem("03_covariance", "covariance_matrix_from_examples", 1),
    GradedItem("03_covariance", "get_top_magnitude_indices", 1),
    GradedItem("03_covariance", "remove_from_list", 1),
    GradedItem("03_covariance", "get_top_covariances", 2),
    GradedItem("04_fairness", "demographic_parity_gap", 1),
    GradedItem("04_fairness", "equalized_odds_gap", 1),
    GradedItem("04_fairness", "equal_opportunity_gap", 1),
    GradedItem("05_sources_of_bias", "per_class_recall", 1),
    GradedItem("05_sources_of_bias", "inverse_frequency_weights", 1),
    GradedItem("06_mitigation", "project_out", 1),
    GradedItem("06_mitigation", "conditional_steering_step", 2),
)

#: Notebook stems that hold graded functions, in course order.
GRADED_NOTEBOOKS: tuple[str, ...] = tuple(dict.fromkeys(item.notebook for item in GRADED_ITEMS))


#: File-name prefix of the course notebook with nothing to grade (it is still part of a submission).
UNGRADED_NOTEBOOK_PREFIX = "01_"


def notebooks_named_in(file_name: str) -> list[str]:
    """The graded notebooks whose stem a file name contains (``alice_03_covariance.ipynb``), in course order."""
    return [nb for nb in GRADED_NOTEBOOKS if nb in file_name]


def is_ungraded_notebook(file_name: str) -> bool:
    """Whether a file name is the course's ungraded notebook's (``01_models.ipynb``)."""
    return file_name.startswith(UNGRADED_NOTEBOOK_PREFIX)


def items_of(notebook: str) -> list[GradedItem]:
    """The graded items of one notebook, in notebook order."""
    return [item for item in GRADED_ITEMS if item.notebook == notebook]


def item_named(name: str) -> GradedItem:
    """The graded item for function ``name``.

    Raises:
        KeyError: If no graded function has that name.
    """
    for item in GRADED_ITEMS:
        if item.name == name:
            return item
    raise KeyError(f"no graded function named {name!r}")


def repo_root() -> Path:
    """The repository (or source tree) holding this package."""
    return Path(__file__).resolve().parent.parent


def default_solutions_dir() -> Path:
    """Where the solution notebooks live in a clone: ``solutions/ganbias``."""
    return repo_root() / "solutions" / ASSIGNMENT
