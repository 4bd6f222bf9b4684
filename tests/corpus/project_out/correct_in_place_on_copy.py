# points: project_out=1
# kind: correct
# note: in-place operations on a clone of direction (sub_ of the scaled other), so the inputs are untouched
def project_out(direction, other):
    result = direction.clone()
    coef = (direction * other).sum(dim=1, keepdim=True)
    coef /= (other * other).sum(dim=1, keepdim=True).clamp_min(1e-12)
    result.sub_(coef * other)
    return result
