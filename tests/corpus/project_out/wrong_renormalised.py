# points: project_out=0
# kind: wrong
# note: also normalises the result to length 1, which project_out must not do (the length is kept; normalising is the steering step's job)
# message: you normalised the result to length 1
def project_out(direction, other):
    coef = (direction * other).sum(dim=1, keepdim=True) / (other * other).sum(dim=1, keepdim=True)
    result = direction - coef * other
    return result / result.norm(dim=1, keepdim=True)
