# points: conditional_steering_step=2 project_out=1
# kind: correct
# note: both functions answered and right: a project_out through unit vectors, and a step that calls it
# --- cell: project_out
def project_out(direction, other):
    unit = other / other.norm(dim=1, keepdim=True).clamp_min(1e-12)
    return direction - (direction * unit).sum(dim=1, keepdim=True) * unit
# --- cell: conditional_steering_step
def conditional_steering_step(gen, classifier, noise, target_index, hold_index, step_size=0.1, direction=1):
    z = noise.detach().requires_grad_(True)
    logits = classifier(gen(z))
    grads = [torch.autograd.grad(logits[:, i].sum(), z, retain_graph=keep)[0]
             for i, keep in ((target_index, True), (hold_index, False))]
    step = project_out(*grads)
    step = step / step.norm(dim=1, keepdim=True)
    return noise.detach() + direction * step_size * step, logits.detach()
