# points: conditional_steering_step=0
# kind: wrong
# note: two torch.autograd.grad calls on one forward pass without retain_graph=True: the second one raises RuntimeError
# message: Trying to backward through the graph a second time
def conditional_steering_step(gen, classifier, noise, target_index, hold_index, step_size=0.1, direction=1):
    z = noise.detach().requires_grad_(True)
    classifications = classifier(gen(z))
    target_grad = torch.autograd.grad(classifications[:, target_index].sum(), z)[0]
    hold_grad = torch.autograd.grad(classifications[:, hold_index].sum(), z)[0]
    step = project_out(target_grad, hold_grad)
    step = step / step.norm(dim=1, keepdim=True)
    return noise.detach() + direction * step_size * step, classifications.detach()
