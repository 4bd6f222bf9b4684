"""Spreadsheets (issue 25): a file named ``=HYPERLINK(...).ipynb`` beside the notebook.

Its name went at the start of the ``problems`` cell of grades.csv, which Excel and Sheets evaluate as a formula (CSV
injection). Now every cell of every CSV the grader writes that starts with ``=``, ``+``, ``-``, ``@``, a tab or a
carriage return gets a leading ``'``. The test also names a student ``=1+1`` and puts a formula in a Canvas roster.
"""

import os


def lay_out(folder):
    """Add the file named as a formula (it holds no cells: reported as a problem, first in the list)."""
    with open(os.path.join(folder, '=HYPERLINK("https:..example.invalid","open").ipynb'), "w") as f:
        f.write('{"cells": []}')


def demographic_parity_gap(y_true, y_pred, group):
    return -1.0
