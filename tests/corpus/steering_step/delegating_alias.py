# points: steering_step=0
# kind: delegating
# note: imports the package's steering_step under another name and wraps it
from ganbias_helpers.steering import steering_step as package_step


def steering_step(gen, classifier, noise, target_index, step_size=0.1, direction=1):
    new_noise, classifications = package_step(gen, classifier, noise, target_index, step_size, direction)
    return new_noise, classifications
