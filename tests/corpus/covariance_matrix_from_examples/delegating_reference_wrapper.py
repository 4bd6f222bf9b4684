# points: covariance_matrix_from_examples=0
# kind: delegating
# note: a wrapper that hands the array to ganbias_helpers.reference.covariance_matrix
from ganbias_helpers.reference import covariance_matrix


def covariance_matrix_from_examples(examples):
    result = covariance_matrix(examples)
    return result
