# points: steering_step=2
# kind: correct
# note: plain .backward() on a fresh noise leaf, reading z.grad: on the models as load_pretrained gives them (frozen, as the text says) no weight gets a gradient, so it meets the text; it differs from the text's 'using torch.autograd.grad' in method only. Ambiguous: on models whose weights require grad it would store weight gradients
def steering_step(gen, classifier, noise, target_index, step_size=0.1, direction=1):
    z = noise.detach().clone().requires_grad_(True)
    classifications = classifier(gen(z))
    classifications[:, target_index].sum().backward()
    grad = z.grad
    unit_grad = grad / grad.norm(dim=1, keepdim=True)
    new_noise = noise.detach() + direction * step_size * unit_grad
    return new_noise, classifications.detach()
