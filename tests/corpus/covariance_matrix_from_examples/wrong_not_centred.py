# points: covariance_matrix_from_examples=0
# kind: wrong
# note: computes X.T @ X / (N - 1) without subtracting each feature's mean first
# message: you did not subtract each feature's mean
def covariance_matrix_from_examples(examples):
    x = examples.reshape(-1, examples.shape[-1])
    return x.T @ x / (x.shape[0] - 1)
