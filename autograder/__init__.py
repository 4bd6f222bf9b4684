"""The course's autograder: one definition of every graded function, checked in a sandbox or in place.

Modules: :mod:`~autograder.items` (every graded function: points, cases, reference,
known mistakes; one module per notebook), :mod:`~autograder.checks` (judging a result,
and ``check()``, which the notebooks' test cells call), :mod:`~autograder._runner`
(calling a student's function, inside the sandbox or in place), :mod:`~autograder.notebook`
(reading submissions), :mod:`~autograder.sandbox` (bubblewrap isolation),
:mod:`~autograder.codec` (the data-only wire format), :mod:`~autograder.grading`
(scores, feedback, CSV, batches), :mod:`~autograder.cli` (``ganbias grade``), :mod:`~autograder.export`
and :mod:`~autograder.platforms` (Gradescope and PrairieLearn bundles), :mod:`~autograder.lms` (late
penalties, Canvas) and :mod:`~autograder.similarity` (the similarity report).
"""
