# points: inverse_frequency_weights=0
# kind: stub
# note: the release's answer cell as handed out, unanswered (raises NotImplementedError)
def inverse_frequency_weights(labels, n_classes):
    """Balanced class weights N / (n_classes * count_c); a class with no examples gets 0.

    Parameters:
        labels: class indices (tensor, numpy array or list)
        n_classes: how many classes there are
    Returns:
        a float32 torch tensor of shape (n_classes,)
    """
    # YOUR CODE HERE
    raise NotImplementedError()
