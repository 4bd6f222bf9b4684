# points: project_out=1
# kind: correct
# note: subtracts in place from direction itself and returns it; the exercise never says the inputs must be left unchanged (ambiguous: correct by the text, the caller's direction tensor is modified)
def project_out(direction, other):
    coef = (direction * other).sum(dim=1, keepdim=True) / (other * other).sum(dim=1, keepdim=True).clamp_min(1e-12)
    direction -= coef * other
    return direction
