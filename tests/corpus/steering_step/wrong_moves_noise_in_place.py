# points: steering_step=0
# kind: wrong
# note: right numbers, but turns on requires_grad on the caller's noise and moves it in place (noise += ...), returning the same tensor: the text says not to change noise in place
# message: was changed in place
def steering_step(gen, classifier, noise, target_index, step_size=0.1, direction=1):
    noise.requires_grad_(True)
    classifications = classifier(gen(noise))
    grad = torch.autograd.grad(classifications[:, target_index].sum(), noise)[0]
    with torch.no_grad():
        noise += direction * step_size * grad / grad.norm(dim=1, keepdim=True)
    noise.requires_grad_(False)
    return noise, classifications.detach()
