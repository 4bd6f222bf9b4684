# points: covariance_matrix_from_examples=1
# kind: correct
# note: writes the formula out: centre each column, then centred.T @ centred / (N - 1), in float64
def covariance_matrix_from_examples(examples):
    x = np.asarray(examples, dtype=np.float64).reshape(-1, np.shape(examples)[-1])
    centred = x - x.mean(axis=0, keepdims=True)
    return centred.T @ centred / (len(x) - 1)
