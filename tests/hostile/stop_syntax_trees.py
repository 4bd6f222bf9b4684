"""The grader's memory (issue 25): a notebook with 2.5 MB of ``a=1`` in thirteen extra cells.

The grader kept every cell's syntax tree at once (1.6 GB for this one; the 25 MB notebook cap allowed several GB).
Now one tree is kept at a time and a notebook's code has a cap.
"""

import json
import os


def lay_out(folder):
    """Add thirteen code cells of 190,000 characters of ``a=1`` to the notebook."""
    path = os.path.join(folder, "04_fairness.ipynb")
    with open(path) as f:
        nb = json.load(f)
    for _ in range(13):
        nb["cells"].append({"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None,
                            "source": "a=1\n" * 47_500})
    with open(path, "w") as f:
        json.dump(nb, f)


def demographic_parity_gap(y_true, y_pred, group):
    return -1.0
