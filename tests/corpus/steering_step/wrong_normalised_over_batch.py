# points: steering_step=0
# kind: wrong
# note: divides the gradient by the norm of the whole batch (grad.norm()) instead of each row's norm, so rows do not move step_size each
# message: normalise the gradient of each row (dim=1)
def steering_step(gen, classifier, noise, target_index, step_size=0.1, direction=1):
    z = noise.detach().requires_grad_(True)
    classifications = classifier(gen(z))
    grad = torch.autograd.grad(classifications[:, target_index].sum(), z)[0]
    unit_grad = grad / grad.norm()
    new_noise = noise.detach() + direction * step_size * unit_grad
    return new_noise, classifications.detach()
