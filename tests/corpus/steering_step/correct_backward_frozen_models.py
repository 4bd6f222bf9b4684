# points: steering_step=2
# kind: correct
# note: .backward() instead of torch.autograd.grad, with the noise as the only leaf: it freezes the models' weights for the pass and restores their flags, so no weight gradient is computed or stored (the text says "using torch.autograd.grad"; this reaches the same result another way)
def steering_step(gen, classifier, noise, target_index, step_size=0.1, direction=1):
    params = list(gen.parameters()) + list(classifier.parameters())
    flags = [p.requires_grad for p in params]
    for p in params:
        p.requires_grad_(False)
    try:
        z = noise.detach().clone().requires_grad_(True)
        with torch.enable_grad():
            classifications = classifier(gen(z))
            classifications[:, target_index].sum().backward()
        grad = z.grad
    finally:
        for p, flag in zip(params, flags):
            p.requires_grad_(flag)
    lengths = torch.sqrt((grad ** 2).sum(dim=1, keepdim=True))
    new_noise = noise.detach() + direction * step_size * grad / lengths
    return new_noise, classifications.detach()
