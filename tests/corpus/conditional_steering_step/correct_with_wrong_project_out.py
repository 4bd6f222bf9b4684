# points: conditional_steering_step=2 project_out=0
# kind: correct
# note: conditional_steering_step is right and calls project_out, but this student's project_out projects the wrong way round: one mistake, one function (checked with the reference project_out, the step earns its 2 points)
# --- cell: project_out
def project_out(direction, other):
    coef = (other * direction).sum(dim=1, keepdim=True) / (direction * direction).sum(dim=1, keepdim=True)
    return other - coef * direction
# --- cell: conditional_steering_step
def conditional_steering_step(gen, classifier, noise, target_index, hold_index, step_size=0.1, direction=1):
    z = noise.detach().requires_grad_(True)
    classifications = classifier(gen(z))
    target_grad = torch.autograd.grad(classifications[:, target_index].sum(), z, retain_graph=True)[0]
    hold_grad = torch.autograd.grad(classifications[:, hold_index].sum(), z)[0]
    step = project_out(target_grad, hold_grad)
    step = step / step.norm(dim=1, keepdim=True)
    new_noise = noise.detach() + direction * step_size * step
    return new_noise, classifications.detach()
