# points: equalized_odds_gap=0
# kind: stub
# note: the release's answer cell as handed out, unanswered (raises NotImplementedError)
def equalized_odds_gap(y_true, y_pred, group):
    """The larger of the true positive rate gap and the false positive rate gap across the groups.

    Parameters:
        y_true: true 0/1 labels
        y_pred: predicted 0/1 labels
        group: the group of each example
    Returns:
        the gap, a float between 0 and 1
    """
    # YOUR CODE HERE
    raise NotImplementedError()
