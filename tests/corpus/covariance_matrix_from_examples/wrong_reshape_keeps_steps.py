# points: covariance_matrix_from_examples=0
# kind: wrong
# note: reshapes to (steps, images * features), mixing images and features, then takes the covariance of those columns
# message: each column mixed images and features
def covariance_matrix_from_examples(examples):
    flat = examples.reshape(examples.shape[0], -1)
    return np.cov(flat, rowvar=False)
