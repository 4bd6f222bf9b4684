# points: covariance_matrix_from_examples=0
# kind: wrong
# note: keeps np.cov's default rowvar=True, so the rows (samples) are taken as the variables: an (N, N) matrix
# message: the matrix is between examples, not features
def covariance_matrix_from_examples(examples):
    return np.cov(examples.reshape(-1, examples.shape[2]))
