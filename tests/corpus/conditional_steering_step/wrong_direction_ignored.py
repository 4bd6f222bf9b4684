# points: conditional_steering_step=0
# kind: wrong
# note: never uses the direction argument, so direction=-1 still steps toward the target
# message: did you ignore direction
def conditional_steering_step(gen, classifier, noise, target_index, hold_index, step_size=0.1, direction=1):
    z = noise.detach().requires_grad_(True)
    classifications = classifier(gen(z))
    target_grad = torch.autograd.grad(classifications[:, target_index].sum(), z, retain_graph=True)[0]
    hold_grad = torch.autograd.grad(classifications[:, hold_index].sum(), z)[0]
    step = project_out(target_grad, hold_grad)
    step = step / step.norm(dim=1, keepdim=True)
    new_noise = noise.detach() + step_size * step
    return new_noise, classifications.detach()
