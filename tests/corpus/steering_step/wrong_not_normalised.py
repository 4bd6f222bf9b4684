# points: steering_step=0
# kind: wrong
# note: steps along the raw gradient (step_size * grad) without dividing each row by its length, so faces move different distances
# message: not every row moved by exactly step_size
def steering_step(gen, classifier, noise, target_index, step_size=0.1, direction=1):
    z = noise.detach().requires_grad_(True)
    classifications = classifier(gen(z))
    grad = torch.autograd.grad(classifications[:, target_index].sum(), z)[0]
    new_noise = noise.detach() + direction * step_size * grad
    classifications = classifications.detach()
    return new_noise, classifications
