# points: get_top_covariances=0
# kind: delegating
# note: binds the graded name to the package's top_covariances by plain assignment after importing the module
import ganbias_helpers.steering as steering_helpers

get_top_covariances = steering_helpers.top_covariances
