# points: project_out=0
# kind: delegating
# note: the cell only imports the package's project_out from ganbias_helpers.steering
from ganbias_helpers.steering import project_out
