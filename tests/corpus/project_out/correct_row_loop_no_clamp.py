# points: project_out=1
# kind: correct
# note: a loop over the rows with torch.dot, stacked; no guard for an all-zero row of other (it gives nan there), which the text only suggests in a hint and never tests
def project_out(direction, other):
    rows = []
    for d, o in zip(direction, other):
        rows.append(d - torch.dot(d, o) / torch.dot(o, o) * o)
    return torch.stack(rows)
