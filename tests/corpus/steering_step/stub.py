# points: steering_step=0
# kind: stub
# note: the release's answer cell as handed out, unanswered (raises NotImplementedError)
def steering_step(gen, classifier, noise, target_index, step_size=0.1, direction=1):
    """Move each noise vector one small step toward (or away from) the target attribute.

    Parameters:
        gen: the generator
        classifier: the classifier, returning logits of shape (n, 40)
        noise: the current noise, a tensor of shape (n, z_dim)
        target_index: the index of the target attribute
        step_size: how far each noise vector moves, the same for every row
        direction: 1 to increase the target's logit, -1 to decrease it
    Returns:
        new_noise: the moved noise, shape (n, z_dim), detached from any graph
        classifications: the logits of the images of the noise *before* the move, shape (n, 40), detached
    """
    # YOUR CODE HERE
    raise NotImplementedError()
    return new_noise, classifications
