# points: conditional_steering_step=2
# kind: correct
# note: one forward pass and one torch.autograd.grad per gradient (no retain_graph), the row normaliser a module-level lambda
unit_rows = lambda g: g / g.norm(dim=1, keepdim=True).clamp_min(1e-12)


def _logit_gradient(gen, classifier, noise, index):
    z = noise.detach().requires_grad_(True)
    logits = classifier(gen(z))
    return torch.autograd.grad(logits[:, index].sum(), z)[0], logits.detach()


def conditional_steering_step(gen, classifier, noise, target_index, hold_index, step_size=0.1, direction=1):
    target_grad, classifications = _logit_gradient(gen, classifier, noise, target_index)
    hold_grad, _ = _logit_gradient(gen, classifier, noise, hold_index)
    step = unit_rows(project_out(target_grad, hold_grad))
    return noise.detach() + direction * step_size * step, classifications
