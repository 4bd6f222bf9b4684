# points: conditional_steering_step=0
# kind: delegating
# note: calls the package's steering_step with hold_indices=[hold_index], which is the conditional step
from ganbias_helpers.steering import steering_step as package_step


def conditional_steering_step(gen, classifier, noise, target_index, hold_index, step_size=0.1, direction=1):
    return package_step(gen, classifier, noise, target_index, step_size=step_size, direction=direction,
                        hold_indices=[hold_index])
