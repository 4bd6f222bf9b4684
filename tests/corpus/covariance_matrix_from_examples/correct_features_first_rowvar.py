# points: covariance_matrix_from_examples=1
# kind: correct
# note: moves the feature axis first (features, steps * images) and keeps np.cov's default rowvar=True
def covariance_matrix_from_examples(examples):
    n_features = examples.shape[2]
    by_feature = np.moveaxis(np.asarray(examples), 2, 0).reshape(n_features, -1)
    return np.cov(by_feature)
