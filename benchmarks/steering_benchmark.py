"""Time and peak memory of the reference course's steering loop versus ours, side by side.

Each run happens in a fresh subprocess so that its peak resident memory is its own.

    python benchmarks/steering_benchmark.py                 # reference size: 256 images, 30+30 steps
    python benchmarks/steering_benchmark.py --images 64 --memory-steps 10 30 60

Both loops use the shipped weights, the same seeded noise, the same target
(Male) and the same number of threads. "reference" is the loop exactly as the
original course wrote it: gradients on every weight, the noise's gradient never
cleared, and every generated batch kept with its autograd graph.
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

    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, {os.cpu_count()} CPUs")
    print(f"\nTime at {args.images} images, {args.steps}+{args.steps} steps (target Male):")
    ref, ours = run("reference", args.images, args.steps), run("ours", args.images, args.steps)
    print(f"  {'':<10} {'seconds':>9} {'peak RSS MiB':>13} {'growth MiB':>11}")
    for r in (ref, ours):
        print(f"  {r['variant']:<10} {r['seconds']:>9.1f} {r['peak_rss_mib']:>13.0f} {r['growth_mib']:>11.0f}")
    print(f"  speed-up (reference / ours): {ref['seconds'] / ours['seconds']:.2f}x")

    if args.memory_steps:
        print(f"\nMemory growth during the loop vs steps ({args.memory_images} images):")
        print(f"  {'steps each way':>14} {'reference MiB':>14} {'ours MiB':>9}")
        for steps in args.memory_steps:
            r, o = run("reference", args.memory_images, steps), run("ours", args.memory_images, steps)
            print(f"  {steps:>14} {r['growth_mib']:>14.0f} {o['growth_mib']:>9.0f}")


if __name__ == "__main__":
    main()
