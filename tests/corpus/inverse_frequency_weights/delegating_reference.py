# points: inverse_frequency_weights=0
# kind: delegating
# note: a wrapper that returns ganbias_helpers.reference.inverse_frequency_weights
from ganbias_helpers import reference


def inverse_frequency_weights(labels, n_classes):
    weights = reference.inverse_frequency_weights(labels, n_classes)
    return weights.float()
