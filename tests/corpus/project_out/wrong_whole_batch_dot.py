# points: project_out=0
# kind: wrong
# note: one coefficient for the whole batch (sums over every element) instead of one per row
# message: you used one dot product for the whole batch
def project_out(direction, other):
    coef = (direction * other).sum() / (other * other).sum()
    return direction - coef * other
