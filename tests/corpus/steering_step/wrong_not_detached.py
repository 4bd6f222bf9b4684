# points: steering_step=0
# kind: wrong
# note: right numbers, but returns new noise built from the gradient-tracking copy and logits still attached to the graph; the exercise asks for detached tensors
# message: is still attached to the autograd graph
def steering_step(gen, classifier, noise, target_index, step_size=0.1, direction=1):
    z = noise.detach().requires_grad_(True)
    classifications = classifier(gen(z))
    grad = torch.autograd.grad(classifications[:, target_index].sum(), z, retain_graph=True)[0]
    unit_grad = grad / grad.norm(dim=1, keepdim=True)
    new_noise = z + direction * step_size * unit_grad
    return new_noise, classifications
