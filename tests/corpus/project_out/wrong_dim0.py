# points: project_out=0
# kind: wrong
# note: sums over dim=0 (down the batch, per coordinate) instead of dim=1 (along each row)
# message: you summed over dim=0
def project_out(direction, other):
    coef = (direction * other).sum(dim=0, keepdim=True) / (other * other).sum(dim=0, keepdim=True)
    return direction - coef * other
