# points: steering_step=0
# kind: wrong
# note: differentiates the sum of all 40 logits instead of the target's column, so it steers toward everything at once
# message: you took the gradient of the sum of all 40 logits
def steering_step(gen, classifier, noise, target_index, step_size=0.1, direction=1):
    z = noise.detach().requires_grad_(True)
    classifications = classifier(gen(z))
    grad = torch.autograd.grad(classifications.sum(), z)[0]
    unit_grad = grad / grad.norm(dim=1, keepdim=True)
    new_noise = noise.detach() + direction * step_size * unit_grad
    return new_noise, classifications.detach()
