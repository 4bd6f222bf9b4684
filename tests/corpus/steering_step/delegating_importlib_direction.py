# points: steering_step=0
# kind: delegating
# note: reaches the package's steering_direction through importlib and only adds the step to the noise
import importlib

_helpers = importlib.import_module("ganbias_helpers." + "steering")


def steering_step(gen, classifier, noise, target_index, step_size=0.1, direction=1):
    unit, classifications, _ = _helpers.steering_direction(gen, classifier, noise, target_index)
    return noise.detach() + direction * step_size * unit, classifications
