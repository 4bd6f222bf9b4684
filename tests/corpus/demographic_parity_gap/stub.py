# points: demographic_parity_gap=0
# kind: stub
# note: the release's answer cell as handed out, unanswered (raises NotImplementedError)
def demographic_parity_gap(y_true, y_pred, group):
    """Largest minus smallest rate of positive predictions across the groups.

    Parameters:
        y_true: true 0/1 labels (unused by this definition, kept for a uniform signature)
        y_pred: predicted 0/1 labels
        group: the group of each example
    Returns:
        the gap, a float between 0 and 1
    """
    # YOUR CODE HERE
    raise NotImplementedError()
