# points: project_out=0
# kind: wrong
# note: projects the wrong way round: removes from other its component along direction (returns the part of other orthogonal to direction)
# message: you removed direction's part from other
def project_out(direction, other):
    coef = (other * direction).sum(dim=1, keepdim=True) / (direction * direction).sum(dim=1, keepdim=True)
    return other - coef * direction
