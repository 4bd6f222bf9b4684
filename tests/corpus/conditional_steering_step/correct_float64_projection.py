# points: conditional_steering_step=2
# kind: correct
# note: both gradients from one torch.autograd.grad call with retain_graph, then projected and normalised in float64 and cast back to the noise's dtype
def conditional_steering_step(gen, classifier, noise, target_index, hold_index, step_size=0.1, direction=1):
    z = noise.detach().requires_grad_(True)
    with torch.enable_grad():
        classifications = classifier(gen(z))
        target_grad = torch.autograd.grad(classifications[:, target_index].sum(), z, retain_graph=True)[0]
        hold_grad = torch.autograd.grad(classifications[:, hold_index].sum(), z)[0]
    step = project_out(target_grad.double(), hold_grad.double())
    step = torch.nn.functional.normalize(step, dim=1).to(noise.dtype)
    return noise.detach() + direction * step_size * step, classifications.detach()
