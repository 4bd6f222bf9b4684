# points: steering_step=0
# kind: wrong
# note: returns the logits of the images of the moved noise instead of the logits computed before the move
# message: classifications are the logits after the move
def steering_step(gen, classifier, noise, target_index, step_size=0.1, direction=1):
    z = noise.detach().requires_grad_(True)
    logits = classifier(gen(z))
    grad = torch.autograd.grad(logits[:, target_index].sum(), z)[0]
    unit_grad = grad / grad.norm(dim=1, keepdim=True)
    new_noise = noise.detach() + direction * step_size * unit_grad
    with torch.no_grad():
        classifications = classifier(gen(new_noise))
    return new_noise, classifications
