# points: steering_step=0
# kind: wrong
# note: right numbers, but switches requires_grad on for both models (to "make backward work") and calls .backward(): every weight gets a .grad, and the models are left unfrozen (the text says to leave the weights as they were, with no gradients stored)
# message: gradients were left on the gen's weights
def steering_step(gen, classifier, noise, target_index, step_size=0.1, direction=1):
    gen.requires_grad_(True)
    classifier.requires_grad_(True)
    z = noise.detach().clone().requires_grad_(True)
    classifications = classifier(gen(z))
    classifications[:, target_index].sum().backward()
    unit_grad = z.grad / z.grad.norm(dim=1, keepdim=True)
    new_noise = noise.detach() + direction * step_size * unit_grad
    return new_noise, classifications.detach()
