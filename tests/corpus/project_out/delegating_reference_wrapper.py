# points: project_out=0
# kind: delegating
# note: wraps ganbias_helpers.reference.project_out, imported under another name
from ganbias_helpers.reference import project_out as _remove_component


def project_out(direction, other):
    return _remove_component(direction, other)
