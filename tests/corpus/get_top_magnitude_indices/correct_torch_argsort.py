# points: get_top_magnitude_indices=1
# kind: correct
# note: torch.argsort(descending=True, stable=True) on a float64 tensor of the magnitudes, converted back to numpy
def get_top_magnitude_indices(values):
    magnitudes = torch.as_tensor(np.asarray(values, dtype=np.float64)).abs()
    top_indices = torch.argsort(magnitudes, descending=True, stable=True).numpy()
    return top_indices
