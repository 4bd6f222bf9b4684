# points: steering_step=2
# kind: correct
# note: the row normaliser is a module-level lambda defined in the same cell, used inside the function
unit_rows = lambda g: g / g.norm(dim=1, keepdim=True)


def steering_step(gen, classifier, noise, target_index, step_size=0.1, direction=1):
    z = noise.detach().requires_grad_(True)
    classifications = classifier(gen(z))
    (grad,) = torch.autograd.grad(classifications[:, target_index].sum(), [z])
    new_noise = noise.detach() + direction * step_size * unit_rows(grad)
    return new_noise, classifications.detach()
