# points: demographic_parity_gap=0
# kind: delegating
# note: the cell only imports ganbias_helpers.reference.demographic_parity_gap
from ganbias_helpers.reference import demographic_parity_gap
