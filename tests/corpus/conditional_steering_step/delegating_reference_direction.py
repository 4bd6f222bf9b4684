# points: conditional_steering_step=0
# kind: delegating
# note: takes the unit direction from ganbias_helpers.reference.steering_direction (with the hold) and only adds the step
from ganbias_helpers.reference import steering_direction


def conditional_steering_step(gen, classifier, noise, target_index, hold_index, step_size=0.1, direction=1):
    unit, classifications, _images = steering_direction(gen, classifier, noise, target_index, [hold_index])
    new_noise = noise.detach() + direction * step_size * unit
    return new_noise, classifications
