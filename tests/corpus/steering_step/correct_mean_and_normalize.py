# points: steering_step=2
# kind: correct
# note: differentiates the mean of the target logits (the gradient of each row is only scaled by 1/n, so its unit direction is the same) and normalises with torch.nn.functional.normalize; the step is built in place on a copy
import torch.nn.functional as F


def steering_step(gen, classifier, noise, target_index, step_size=0.1, direction=1):
    z = noise.detach().requires_grad_(True)
    with torch.enable_grad():
        logits = classifier(gen(z))
        grad = torch.autograd.grad(logits[:, target_index].mean(), z)[0]
    new_noise = noise.detach().clone()
    new_noise.add_(F.normalize(grad, dim=1), alpha=direction * step_size)
    return new_noise, logits.detach()
