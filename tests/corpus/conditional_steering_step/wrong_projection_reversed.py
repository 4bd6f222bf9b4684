# points: conditional_steering_step=0
# kind: wrong
# note: calls project_out(hold_grad, target_grad), projecting the target out of the held gradient: steers along the held attribute
# message: you projected the wrong way round
def conditional_steering_step(gen, classifier, noise, target_index, hold_index, step_size=0.1, direction=1):
    z = noise.detach().requires_grad_(True)
    classifications = classifier(gen(z))
    target_grad = torch.autograd.grad(classifications[:, target_index].sum(), z, retain_graph=True)[0]
    hold_grad = torch.autograd.grad(classifications[:, hold_index].sum(), z)[0]
    step = project_out(hold_grad, target_grad)
    step = step / step.norm(dim=1, keepdim=True)
    new_noise = noise.detach() + direction * step_size * step
    return new_noise, classifications.detach()
