# points: covariance_matrix_from_examples=1
# kind: correct
# note: two loops over the pairs of features, each entry from the definition (sum of products of deviations over N - 1)
def covariance_matrix_from_examples(examples):
    x = np.asarray(examples, dtype=float).reshape(-1, examples.shape[2])
    n, f = x.shape
    means = x.mean(axis=0)
    cov = np.zeros((f, f))
    for i in range(f):
        for j in range(i, f):
            cov[i, j] = cov[j, i] = np.sum((x[:, i] - means[i]) * (x[:, j] - means[j])) / (n - 1)
    return cov
