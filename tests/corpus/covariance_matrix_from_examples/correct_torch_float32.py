# points: covariance_matrix_from_examples=1
# kind: correct
# note: torch.cov on the transposed samples, kept in the input's float32 (the result differs from np.cov's float64 by float32 rounding, about 1e-7 relative)
def covariance_matrix_from_examples(examples):
    x = torch.as_tensor(examples).reshape(-1, examples.shape[-1])
    return torch.cov(x.T).numpy()
