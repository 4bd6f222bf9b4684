# points: conditional_steering_step=0
# kind: wrong
# note: projects row by row but then divides by the norm of the whole batch instead of each row's norm
# message: not every row moved by exactly step_size
def conditional_steering_step(gen, classifier, noise, target_index, hold_index, step_size=0.1, direction=1):
    z = noise.detach().requires_grad_(True)
    classifications = classifier(gen(z))
    target_grad = torch.autograd.grad(classifications[:, target_index].sum(), z, retain_graph=True)[0]
    hold_grad = torch.autograd.grad(classifications[:, hold_index].sum(), z)[0]
    step = project_out(target_grad, hold_grad)
    new_noise = noise.detach() + direction * step_size * step / step.norm()
    return new_noise, classifications.detach()
