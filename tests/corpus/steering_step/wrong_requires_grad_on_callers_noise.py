# points: steering_step=0
# kind: wrong
# note: takes the gradient on the caller's own tensor (noise.requires_grad_(True) and .backward()), so the caller's noise is left requiring a gradient and holding .grad, which the exercise text forbids
# message: the caller's tensor, was changed
def steering_step(gen, classifier, noise, target_index, step_size=0.1, direction=1):
    params = list(gen.parameters()) + list(classifier.parameters())
    for p in params:
        p.requires_grad_(False)
    noise.requires_grad_(True)
    classifications = classifier(gen(noise))
    classifications[:, target_index].sum().backward()
    for p in params:
        p.requires_grad_(True)
    unit = noise.grad / noise.grad.norm(dim=1, keepdim=True)
    new_noise = noise.detach() + direction * step_size * unit
    return new_noise, classifications.detach()
