# points: covariance_matrix_from_examples=0
# kind: wrong
# note: np.corrcoef returns the correlation matrix (each covariance divided by both standard deviations), not the covariance
# message: you computed the correlation
def covariance_matrix_from_examples(examples):
    return np.corrcoef(examples.reshape(-1, examples.shape[2]), rowvar=False)
