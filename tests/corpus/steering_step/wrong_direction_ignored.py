# points: steering_step=0
# kind: wrong
# note: forgets the direction argument, so direction=-1 still steps toward the target (sign lost)
# message: did you ignore direction
def steering_step(gen, classifier, noise, target_index, step_size=0.1, direction=1):
    z = noise.detach().requires_grad_(True)
    classifications = classifier(gen(z))
    grad = torch.autograd.grad(classifications[:, target_index].sum(), z)[0]
    unit_grad = grad / grad.norm(dim=1, keepdim=True)
    new_noise = noise.detach() + step_size * unit_grad
    return new_noise, classifications.detach()
