# points: steering_step=0
# kind: wrong
# note: normalises with grad.norm(dim=0, keepdim=True), the length of each noise coordinate over the batch, not of each row
# message: normalise the gradient of each row (dim=1)
def steering_step(gen, classifier, noise, target_index, step_size=0.1, direction=1):
    z = noise.detach().requires_grad_(True)
    classifications = classifier(gen(z))
    grad = torch.autograd.grad(classifications[:, target_index].sum(), z)[0]
    unit_grad = grad / grad.norm(dim=0, keepdim=True)
    new_noise = noise.detach() + direction * step_size * unit_grad
    return new_noise, classifications.detach()
