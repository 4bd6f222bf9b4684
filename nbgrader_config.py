"""nbgrader settings for the course: solutions/ is the source, notebooks/ the student release.

Regenerate the student notebooks from the repository root with:

    nbgrader generate_assignment ganbias --force --no-db
"""

c = get_config()  # noqa: F821  (provided by nbgrader when it reads this file)

c.CourseDirectory.course_id = "ganbias"
c.CourseDirectory.source_directory = "solutions"
c.CourseDirectory.release_directory = "notebooks"

# Stubs that students see in place of each solution.
c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}
c.ClearSolutions.text_stub = "YOUR ANSWER HERE"

# Steering on a laptop CPU can take a while: give each cell up to ten minutes when nbgrader runs notebooks.
c.Execute.timeout = 600
