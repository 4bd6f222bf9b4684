# points: inverse_frequency_weights=0
# kind: wrong
# note: divides by the raw count, so an absent class gets inf instead of the 0 the text asks for
# message: a class with no examples gets weight 0
def inverse_frequency_weights(labels, n_classes):
    labels = torch.as_tensor(np.asarray(labels), dtype=torch.int64)
    counts = torch.bincount(labels, minlength=n_classes)
    return (len(labels) / (n_classes * counts)).float()
