# points: project_out=1
# kind: correct
# note: normalises other's rows first, then removes (direction . unit) * unit with torch.einsum for the row-wise dot products
def project_out(direction, other):
    unit = other / other.norm(dim=1, keepdim=True).clamp_min(1e-12)
    along = torch.einsum("ij,ij->i", direction, unit).unsqueeze(1)
    return direction - along * unit
