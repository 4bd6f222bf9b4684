# points: get_top_covariances=0
# kind: delegating
# note: a wrapper around the package's top_covariances from ganbias_helpers.steering (converting a tensor first)
from ganbias_helpers.steering import top_covariances


def get_top_covariances(classification_changes, target_index, top_n=10):
    changes = np.asarray(classification_changes)
    relevant_indices, highest_covariances = top_covariances(changes, target_index, top_n=top_n)
    return relevant_indices, highest_covariances
