# points: conditional_steering_step=0
# kind: wrong
# note: subtracts the held gradient itself (target_grad - hold_grad) instead of its projection, so the step is not orthogonal to it
# message: you subtracted the held attribute's gradient
def conditional_steering_step(gen, classifier, noise, target_index, hold_index, step_size=0.1, direction=1):
    z = noise.detach().requires_grad_(True)
    classifications = classifier(gen(z))
    target_grad = torch.autograd.grad(classifications[:, target_index].sum(), z, retain_graph=True)[0]
    hold_grad = torch.autograd.grad(classifications[:, hold_index].sum(), z)[0]
    step = target_grad - hold_grad
    step = step / step.norm(dim=1, keepdim=True)
    new_noise = noise.detach() + direction * step_size * step
    return new_noise, classifications.detach()
