# points: project_out=0
# kind: wrong
# note: divides the dot product by the norm of other instead of its squared norm, so the part removed is too long or too short unless other's rows have length 1
# message: you divided by the norm of other
def project_out(direction, other):
    coefficient = (direction * other).sum(dim=1, keepdim=True) / other.norm(dim=1, keepdim=True)
    return direction - coefficient * other
