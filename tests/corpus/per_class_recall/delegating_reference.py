# points: per_class_recall=0
# kind: delegating
# note: the cell only imports ganbias_helpers.reference.per_class_recall under the graded name
from ganbias_helpers.reference import per_class_recall
