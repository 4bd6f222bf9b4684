# points: conditional_steering_step=2
# kind: correct
# note: .backward() twice on a noise leaf (zeroing z.grad in between) while the models' weights are frozen for the call and restored after; the projection is written inline instead of calling project_out (the text says "use your project_out")
def conditional_steering_step(gen, classifier, noise, target_index, hold_index, step_size=0.1, direction=1):
    params = [*gen.parameters(), *classifier.parameters()]
    flags = [p.requires_grad for p in params]
    for p in params:
        p.requires_grad_(False)
    try:
        z = noise.detach().clone().requires_grad_(True)
        with torch.enable_grad():
            classifications = classifier(gen(z))
            classifications[:, target_index].sum().backward(retain_graph=True)
            target_grad = z.grad.clone()
            z.grad.zero_()
            classifications[:, hold_index].sum().backward()
            hold_grad = z.grad.clone()
    finally:
        for p, flag in zip(params, flags):
            p.requires_grad_(flag)
    coef = (target_grad * hold_grad).sum(dim=1, keepdim=True) / (hold_grad * hold_grad).sum(dim=1, keepdim=True)
    step = target_grad - coef * hold_grad
    step = step / step.norm(dim=1, keepdim=True)
    return noise.detach() + direction * step_size * step, classifications.detach()
