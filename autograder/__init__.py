"""The course's autograder: one definition of every graded function, checked in a sandbox or in place.

What students get lives in the student package, :mod:`ganbias_helpers.checks` (each graded
function's points, reference, comparisons, named mistakes and visible cases; ``check()``;
calling a student's function and the data-only wire format). What only the grader has:
:mod:`~autograder.items` (the hidden cases, drawn from the course secret,
:mod:`~autograder.items.secret`; one module per notebook), :mod:`~autograder.hidden`
(``check_hidden()``, which the solutions' hidden test cells call), :mod:`~autograder._runner`
(the sandbox's side of a run), :mod:`~autograder.notebook`
(reading submissions), :mod:`~autograder.sandbox` (bubblewrap isolation), :mod:`~autograder.grading`
(scores, feedback, CSV, batches), :mod:`~autograder.cli` (``ganbias grade``), :mod:`~autograder.export`
and :mod:`~autograder.platforms` (Gradescope and PrairieLearn bundles), :mod:`~autograder.lms` (late
penalties, Canvas) and :mod:`~autograder.similarity` (the similarity report).
"""
