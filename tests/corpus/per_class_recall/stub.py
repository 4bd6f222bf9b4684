# points: per_class_recall=0
# kind: stub
# note: the release's answer cell as handed out, unanswered (raises NotImplementedError)
def per_class_recall(y_true, y_pred, n_classes):
    """The recall of each class: the fraction of its examples predicted correctly.

    Parameters:
        y_true: true class labels, integers from 0 to n_classes - 1
        y_pred: predicted class labels, same length
        n_classes: how many classes there are
    Returns:
        a numpy array of shape (n_classes,); a class with no examples gets 0.0
    """
    # YOUR CODE HERE
    raise NotImplementedError()
