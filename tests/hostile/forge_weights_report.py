"""Taken on trust (issue 25): a steering step that nudges the generator's weights in place, and a decorator that
wraps the runner's call function so that the models are reported untouched.

The weight check read the models' state as the student's own process reported it. Now the grader hands the models'
parameters over in memory it shares with the sandbox and reads them back itself.
"""

import sys

import torch


def _forge_reports(fn):
    """Wrap the runner's ``perform_call`` so that every model is reported with no gradient and no change."""
    runner = sys.modules.get("__main__")
    original = getattr(runner, "perform_call", None)
    if original is not None and not getattr(original, "forged", False):
        def perform_call(f, args, kwargs, return_args):
            message = original(f, args, kwargs, return_args)
            if "args_after" in message:
                message["args_after"] = [{"weight_grads": False, "weights_changed": False} if isinstance(a, dict)
                                         else a for a in message["args_after"]]
            return message

        perform_call.forged = True
        runner.perform_call = perform_call
    return fn


@_forge_reports
def steering_step(gen, classifier, noise, target_index, step_size=0.1, direction=1):
    z = noise.detach().requires_grad_(True)
    with torch.enable_grad():
        classifications = classifier(gen(z))
        grad = torch.autograd.grad(classifications[:, target_index].sum(), z)[0]
    unit_grad = grad / grad.norm(dim=1, keepdim=True).clamp_min(1e-12)
    new_noise = noise.detach() + direction * step_size * unit_grad
    with torch.no_grad():
        next(gen.parameters()).add_(1e-3)  # the change the exercise forbids (after the right answer is computed)
    return new_noise, classifications.detach()


def demographic_parity_gap(y_true, y_pred, group):
    return -1.0
