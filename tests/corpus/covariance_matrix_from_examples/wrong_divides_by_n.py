# points: covariance_matrix_from_examples=0
# kind: wrong
# note: np.cov(..., bias=True) divides by N instead of N - 1 (the formula in the text divides by N - 1)
# message: you divided by N
def covariance_matrix_from_examples(examples):
    samples = examples.reshape(-1, examples.shape[2])
    return np.cov(samples, rowvar=False, bias=True)
