"""Time and peak memory of the reference course's steering loop versus ours, side by side.

Each run happens in a fresh subprocess so that its peak resident memory is its own.

    python benchmarks/steering_benchmark.py                 # reference size: 256 images, 30+30 steps
    python benchmarks/steering_benchmark.py --images 64 --memory-steps 10 30 60

Both loops use the shipped weights, the same seeded noise, the same target
(Male) and the same number of threads. "reference" is the loop exactly as the
original course wrote it: gradients on every weight, the noise's gradient never
cleared, and every generated batch kept with its autograd graph.

Beside the times it prints the useful work (each face-step: a forward pass of both
networks and the backward pass to the noise, counted from the layers' shapes), the
rate each loop achieves, and this machine's own float32 matrix-multiply rate on all
threads as the practical peak; and whether the CPU has native bfloat16 (oneDNN).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time

import torch


def reference_loop(gen, classifier, noise, target_index, grad_steps):
    """The original course's loop, kept as written (defects included) for comparison."""
    opt = torch.optim.Adam(classifier.parameters(), lr=0.01)
    fake_image_history = []
    classification_history = []
    starting_classifications = classifier(gen(noise.clone().requires_grad_())).cpu().detach()  # noqa: F841
    for sign in (1, -1):  # the course wrote these two loops out in full; only += / -= differ
        new_noise = noise.clone().requires_grad_()
        for _ in range(grad_steps):
            opt.zero_grad()  # clears the classifier's gradients, never the noise's
            fake = gen(new_noise)
            fake_image_history += [fake]  # keeps every batch and its autograd node
            classifications = classifier(fake)
            classification_history += [classifications.cpu().detach()]
            fake_classes = classifications[:, target_index].mean()
            fake_classes.backward()
            new_noise.data += sign * new_noise.grad / grad_steps
    return torch.stack(classification_history), fake_image_history


def forward_flops(gen, classifier) -> int:
    """Floating-point operations of one face through the generator and the classifier (2 per multiply-add)."""
    from torch import nn

    total, x = 0, torch.zeros(1, gen.z_dim)
    hooks = []

    def count(module, inputs, output):  # noqa: ANN001, ANN202
        nonlocal total
        w = module.weight
        if isinstance(module, nn.ConvTranspose2d):
            total += 2 * inputs[0][0, 0].numel() * w.numel()  # each input pixel meets every weight once
        else:
            total += 2 * output[0, 0].numel() * w.numel()  # each output pixel meets every weight once

    for m in [*gen.modules(), *classifier.modules()]:
        if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)):
            hooks.append(m.register_forward_hook(count))
    with torch.no_grad():
        classifier(gen(x))
    for h in hooks:
        h.remove()
    return total


def matmul_rate(size: int = 2048, reps: int = 5) -> float:
    """This machine's float32 matrix-multiply rate on all of torch's threads, in GFLOP/s."""
    a, b = torch.randn(size, size), torch.randn(size, size)
    a @ b
    start = time.perf_counter()
    for _ in range(reps):
        a @ b
    return 2 * size**3 * reps / (time.perf_counter() - start) / 1e9


def child(variant: str, images: int, steps: int) -> None:
    from ganbias_helpers import get_noise
    from ganbias_helpers.steering import steer
    from ganbias_helpers.weights import load_pretrained

    gen, classifier = load_pretrained("cpu")
    noise = get_noise(images, seed=0)
    base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    start = time.perf_counter()
    if variant == "reference":
        gen.requires_grad_(True)  # the course loaded its models without freezing them
        classifier.requires_grad_(True)
        history, kept = reference_loop(gen, classifier, noise, 20, steps)
    else:
        history = steer(gen, classifier, "Male", noise=noise, steps=steps).classifications
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(
        json.dumps(
            {
                "variant": variant,
                "images": images,
                "steps": steps,
                "seconds": seconds,
                "peak_rss_mib": peak / 1024,
                "growth_mib": (peak - base) / 1024,
                "shape": list(history.shape),
            }
        )
    )


def run(variant: str, images: int, steps: int) -> dict:
    out = subprocess.run(
        [sys.executable, __file__, "--child", variant, "--images", str(images), "--steps", str(steps)],
        capture_output=True,
        text=True,
        check=True,
        env=os.environ,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--images", type=int, default=256)
    parser.add_argument("--steps", type=int, default=30, help="steps in each direction")
    parser.add_argument(
        "--memory-steps",
        type=int,
        nargs="*",
        default=[10, 30, 60],
        help="step counts for the memory sweep (at --memory-images)",
    )
    parser.add_argument("--memory-images", type=int, default=64)
    parser.add_argument("--child", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.images, args.steps)
        return

    from ganbias_helpers import Classifier, Generator

    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, {os.cpu_count()} CPUs, "
          f"CPU capability {torch.backends.cpu.get_cpu_capability()}, "
          f"native bfloat16 (oneDNN): {'yes' if torch.ops.mkldnn._is_mkldnn_bf16_supported() else 'no'}")
    per_face_step = 2 * forward_flops(Generator(64), Classifier(n_classes=40))  # forward + backward to the noise
    work = per_face_step * args.images * 2 * args.steps
    peak = matmul_rate()
    print(f"Useful work: {per_face_step / 1e6:.0f} MFLOP per face-step, {work / 1e12:.2f} TFLOP in all; "
          f"this machine's float32 matrix multiply: {peak:.0f} GFLOP/s (floor for the work: {work / peak / 1e9:.1f} s)")
    print(f"\nTime at {args.images} images, {args.steps}+{args.steps} steps (target Male):")
    ref, ours = run("reference", args.images, args.steps), run("ours", args.images, args.steps)
    print(f"  {'':<10} {'seconds':>9} {'GFLOP/s':>8} {'of peak':>8} {'peak RSS MiB':>13} {'growth MiB':>11}")
    for r in (ref, ours):
        rate = work / r["seconds"] / 1e9
        print(f"  {r['variant']:<10} {r['seconds']:>9.1f} {rate:>8.1f} {rate / peak:>8.0%} "
              f"{r['peak_rss_mib']:>13.0f} {r['growth_mib']:>11.0f}")
    print(f"  speed-up (reference / ours): {ref['seconds'] / ours['seconds']:.2f}x")

    if args.memory_steps:
        print(f"\nMemory growth during the loop vs steps ({args.memory_images} images):")
        print(f"  {'steps each way':>14} {'reference MiB':>14} {'ours MiB':>9}")
        for steps in args.memory_steps:
            r, o = run("reference", args.memory_images, steps), run("ours", args.memory_images, steps)
            print(f"  {steps:>14} {r['growth_mib']:>14.0f} {o['growth_mib']:>9.0f}")


if __name__ == "__main__":
    main()
