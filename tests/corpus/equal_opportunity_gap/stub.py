# points: equal_opportunity_gap=0
# kind: stub
# note: the release's answer cell as handed out, unanswered (raises NotImplementedError)
def equal_opportunity_gap(y_true, y_pred, group):
    """Largest minus smallest true positive rate across the groups.

    Parameters:
        y_true: true 0/1 labels
        y_pred: predicted 0/1 labels
        group: the group of each example
    Returns:
        the gap, a float between 0 and 1
    """
    # YOUR CODE HERE
    raise NotImplementedError()
