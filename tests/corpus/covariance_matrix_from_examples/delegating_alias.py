# points: covariance_matrix_from_examples=0
# kind: delegating
# note: the cell only imports the package's covariance_matrix under the graded name
from ganbias_helpers.steering import covariance_matrix as covariance_matrix_from_examples
