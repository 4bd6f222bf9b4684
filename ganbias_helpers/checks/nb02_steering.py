"""Notebook 02, steering: ``steering_step`` (2 points): how a step is judged, its visible cases."""

from __future__ import annotations

from typing import Any

import torch

from ganbias_helpers.reference import checks_piece

from .core import CLASSIFIER, GEN, Case, CheckFailed, close, cpu_models, pair, require
from .items import Item


@checks_piece
def compare_step(value: Any, expected: tuple[torch.Tensor, torch.Tensor], case: Case) -> None:
    """A steering step's ``(new_noise, classifications)``: tensors, detached, logits before the move, exact length."""
    new_noise, logits = pair(value, case.function)
    for got, what in ((new_noise, "new_noise"), (logits, "classifications")):
        require(got, (torch.Tensor,), what, "a torch tensor")
        if got.requires_grad:
            raise CheckFailed(f"{what} is still attached to the autograd graph: return it .detach()ed")
    close(logits, expected[1], "classifications", rtol=1e-3)
    noise = case.args[2]
    try:
        close(new_noise, expected[0], "new_noise", rtol=1e-4)
    except CheckFailed:
        if new_noise.shape == noise.shape:
            lengths = (new_noise.double() - noise.double()).norm(dim=1)
            step = abs(case.kwargs.get("step_size", 0.1))
            if not torch.allclose(lengths, torch.full_like(lengths, step), atol=1e-4):
                held = len(case.args) > 4
                whole_batch = abs(float(lengths.pow(2).sum().sqrt()) - step) < 1e-4
                raise CheckFailed("not every row moved by exactly step_size: " + (
                    "remove the held attributes' parts first, then normalise what is left, row by row (dim=1)"
                    if held else "normalise the gradient of each row (dim=1), not of the whole batch"
                    if whole_batch else "normalise the gradient of each row (dim=1): divide each row by its own "
                    "length (its L2 norm), so that every row has unit length")) from None
        raise


@checks_piece
def step_mistakes(holds: tuple[int, ...]) -> dict[str, Any]:
    """Known wrong steering steps, for naming a wrong answer (shared with notebook 06's conditional step)."""
    from ganbias_helpers.reference import project_out

    def reference(gen: Any, classifier: Any, noise: torch.Tensor, target: int, *held: int, step_size: float = 0.1,
                  direction: int = 1) -> tuple[torch.Tensor, torch.Tensor]:
        from ganbias_helpers.reference import steering_step

        return steering_step(gen, classifier, noise, target, step_size, direction, hold_indices=held)

    def opposite(gen: Any, classifier: Any, noise: torch.Tensor, target: int, *held: int, step_size: float = 0.1,
                 direction: int = 1) -> tuple[torch.Tensor, torch.Tensor]:
        return reference(gen, classifier, noise, target, *held, step_size=step_size, direction=-direction)

    def moved(gen: Any, classifier: Any, noise: torch.Tensor, pick: Any, step_size: float, direction: int,
              unit: bool = True) -> tuple[torch.Tensor, torch.Tensor]:
        """A step along ``pick(gradient of a logit column or of all, ...)``, normalised per row when ``unit``."""
        z = noise.detach().requires_grad_(True)
        logits = classifier(gen(z))

        def grad(i: int | None) -> torch.Tensor:
            chosen = logits.sum() if i is None else logits[:, i].sum()
            return torch.autograd.grad(chosen, z, retain_graph=True)[0]

        d = pick(grad)
        if unit:
            d = d / d.norm(dim=1, keepdim=True)
        return (noise.detach() + direction * step_size * d), logits.detach()

    def all_logits(gen: Any, classifier: Any, noise: torch.Tensor, target: int, *held: int, step_size: float = 0.1,
                   direction: int = 1) -> tuple[torch.Tensor, torch.Tensor]:
        return moved(gen, classifier, noise, lambda grad: grad(None), step_size, direction)

    def normalised_first(gen: Any, classifier: Any, noise: torch.Tensor, target: int, *held: int,
                         step_size: float = 0.1, direction: int = 1) -> tuple[torch.Tensor, torch.Tensor]:
        def pick(grad: Any) -> torch.Tensor:
            d = grad(target) / grad(target).norm(dim=1, keepdim=True)
            for h in held:
                d = project_out(d, grad(h))
            return d
        return moved(gen, classifier, noise, pick, step_size, direction, unit=False)

    def reversed_projection(gen: Any, classifier: Any, noise: torch.Tensor, target: int, *held: int,
                            step_size: float = 0.1, direction: int = 1) -> tuple[torch.Tensor, torch.Tensor]:
        return moved(gen, classifier, noise, lambda grad: project_out(grad(held[0]), grad(target)), step_size,
                     direction)

    def subtracted(gen: Any, classifier: Any, noise: torch.Tensor, target: int, *held: int, step_size: float = 0.1,
                   direction: int = 1) -> tuple[torch.Tensor, torch.Tensor]:
        return moved(gen, classifier, noise, lambda grad: grad(target) - grad(held[0]), step_size, direction)

    def logits_after(gen: Any, classifier: Any, noise: torch.Tensor, target: int, *held: int,
                     step_size: float = 0.1, direction: int = 1) -> tuple[torch.Tensor, torch.Tensor]:
        moved, _ = reference(gen, classifier, noise, target, *held, step_size=step_size, direction=direction)
        with torch.no_grad():
            return moved, classifier(gen(moved))

    mistakes = {"the step goes the wrong way: did you ignore direction or flip its sign? direction=1 must raise the "
                "target's logit, direction=-1 lower it": opposite,
                "classifications are the logits after the move; return those of the noise before it": logits_after,
                "you took the gradient of the sum of all 40 logits: take it of the target's logit only "
                "(classifications[:, target_index].sum())": all_logits}
    if holds:
        mistakes["you normalised before removing the held attributes' parts: project first, then normalise each "
                 "row"] = normalised_first
        mistakes["you projected the wrong way round: remove from the target's gradient its part along the held "
                 "attribute's gradient, project_out(target_grad, hold_grad)"] = reversed_projection
        mistakes["you subtracted the held attribute's gradient: remove only its part along it, "
                 "project_out(target_grad, hold_grad)"] = subtracted
    return mistakes


@checks_piece
def steering_cases(function: str, specs: list[tuple[bool, int, int, str, tuple[str, ...], dict[str, Any]]]) -> \
        list[Case]:
    """Cases of a steering step: ``(visible, seed, n, target, holds, kwargs)`` each (holds: attribute names)."""
    from ganbias_helpers import Z_DIM, attribute_index, get_noise
    from ganbias_helpers.reference import steering_step

    gen, classifier = cpu_models()
    cases = []
    for visible, seed, n, target, holds, kwargs in specs:
        noise = get_noise(n, Z_DIM, "cpu", seed=seed)
        held = tuple(attribute_index(h) for h in holds)
        expected = steering_step(gen, classifier, noise, attribute_index(target), **kwargs, hold_indices=held)
        desc = ", ".join(f"{k}={v}" for k, v in kwargs.items()) or "default step_size and direction"
        what = f"target {target}" + "".join(f" holding {h}" for h in holds)
        cases.append(Case(function, f"{n} faces, {what}, {desc}", (GEN, CLASSIFIER, noise, attribute_index(target),
                                                                  *held), kwargs, expected, compare_step,
                          visible=visible, unchanged=(2,), models_untouched=True, mistakes=step_mistakes(held)))
    return cases


@checks_piece
def _visible() -> list[Case]:
    return steering_cases("steering_step", [
        (True, 123, 4, "Male", (), {"step_size": 0.1, "direction": 1}),
        (True, 124, 3, "Male", (), {"step_size": 0.1, "direction": -1}),
    ])


ITEMS = [Item("02_steering", "steering_step", 2, "steering_step", _visible)]
