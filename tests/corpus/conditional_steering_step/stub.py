# points: conditional_steering_step=0
# kind: stub
# note: the release's answer cell as handed out, unanswered (raises NotImplementedError)
def conditional_steering_step(gen, classifier, noise, target_index, hold_index, step_size=0.1, direction=1):
    """One steering step toward (or away from) the target that leaves the held attribute unchanged to first order.

    Parameters:
        gen, classifier: the models
        noise: the current noise, shape (n, z_dim)
        target_index: the attribute to steer
        hold_index: the attribute to hold fixed
        step_size: how far each noise vector moves
        direction: 1 for more of the target, -1 for less
    Returns:
        new_noise: the moved noise, detached, shape (n, z_dim)
        classifications: the logits before the move, detached, shape (n, 40)
    """
    # YOUR CODE HERE
    raise NotImplementedError()
    return new_noise, classifications
