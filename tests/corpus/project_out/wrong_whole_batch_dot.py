# points: project_out=0
# kind: wrong
# note: one coefficient for the whole batch (sums over every element) instead of one per row
def project_out(direction, other):
    coef = (direction * other).sum() / (other * other).sum()
    return direction - coef * other
