# points: steering_step=0
# kind: delegating
# note: binds the new ganbias_helpers.reference steering_step with functools.partial (no holds) and calls it
import functools

from ganbias_helpers import reference

_plain_step = functools.partial(reference.steering_step, hold_indices=())


def steering_step(gen, classifier, noise, target_index, step_size=0.1, direction=1):
    return _plain_step(gen, classifier, noise, target_index, step_size=step_size, direction=direction)
