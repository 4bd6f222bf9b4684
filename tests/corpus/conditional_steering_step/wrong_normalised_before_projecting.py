# points: conditional_steering_step=0
# kind: wrong
# note: normalises the target gradient first and projects afterwards, so every step is shorter than step_size
# message: you normalised before removing the held attributes' parts
def conditional_steering_step(gen, classifier, noise, target_index, hold_index, step_size=0.1, direction=1):
    z = noise.detach().requires_grad_(True)
    classifications = classifier(gen(z))
    target_grad = torch.autograd.grad(classifications[:, target_index].sum(), z, retain_graph=True)[0]
    hold_grad = torch.autograd.grad(classifications[:, hold_index].sum(), z)[0]
    unit = target_grad / target_grad.norm(dim=1, keepdim=True)
    step = project_out(unit, hold_grad)
    new_noise = noise.detach() + direction * step_size * step
    return new_noise, classifications.detach()
