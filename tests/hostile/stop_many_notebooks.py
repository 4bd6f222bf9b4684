"""Time outside the budget (issue 25): twenty more copies of the notebook, each with 1 MB of code.

The grader parsed every one (not counted against the budget, no cap on notebooks per submission): 12 notebooks of
1 MB took 49-94 s. Now a submission's notebooks are capped, a notebook's code is capped, and reading them counts
against the student's budget.
"""

import json
import os


def lay_out(folder):
    """Twenty copies of the notebook, each with five extra cells of 190,000 characters of ``a=1``."""
    with open(os.path.join(folder, "04_fairness.ipynb")) as f:
        nb = json.load(f)
    nb["cells"] += [{"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None,
                     "source": "a=1\n" * 47_500} for _ in range(5)]
    for i in range(20):
        with open(os.path.join(folder, f"copy-{i:02d}.ipynb"), "w") as f:
            json.dump(nb, f)


def demographic_parity_gap(y_true, y_pred, group):
    return -1.0
