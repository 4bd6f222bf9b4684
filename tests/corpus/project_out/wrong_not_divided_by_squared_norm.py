# points: project_out=0
# kind: wrong
# note: subtracts (direction . other) * other without dividing by other . other, which is only right when other's rows have length 1
# message: you assumed other has unit length
def project_out(direction, other):
    return direction - (direction * other).sum(dim=1, keepdim=True) * other
