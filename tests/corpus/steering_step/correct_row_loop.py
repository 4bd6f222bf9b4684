# points: steering_step=2
# kind: correct
# note: one batched forward pass and torch.autograd.grad, then a Python loop over the rows that divides each by its torch.linalg.vector_norm and builds the moved rows, stacked at the end
def steering_step(gen, classifier, noise, target_index, step_size=0.1, direction=1):
    z = noise.detach().requires_grad_(True)
    classifications = classifier(gen(z))
    grad = torch.autograd.grad(classifications[:, target_index].sum(), z)[0]
    moved = []
    for row, g in zip(noise.detach(), grad):
        moved.append(row + direction * step_size * g / torch.linalg.vector_norm(g))
    return torch.stack(moved), classifications.detach()
