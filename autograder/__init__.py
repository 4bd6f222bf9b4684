"""The course's autograder: sandboxed, pytest-based checks of the graded functions, and ``ganbias grade``.

Modules: :mod:`~autograder.spec` (the graded items), :mod:`~autograder.notebook` (reading
submissions, finding answers), :mod:`~autograder.sandbox` (running student code isolated),
:mod:`~autograder.codec` (the data-only wire format), :mod:`~autograder.references` and
:mod:`~autograder.checks` (expected values and comparisons), :mod:`~autograder.grading`
(scores, feedback, CSV, Gradescope, batches).
"""
