# points: project_out=0
# kind: wrong
# note: row sums without keepdim=True have shape (n,), which broadcasts against the columns: an error, or wrong numbers when n == z_dim (right only for n == 1)
def project_out(direction, other):
    coef = (direction * other).sum(dim=1) / (other * other).sum(dim=1)
    return direction - coef * other
