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
rate each loop achieves, and this machine's own matrix-multiply rate on all threads as
the practical peak ("of peak" compares each row with the rate of its own dtype: float32,
or bfloat16 where the CPU has native bfloat16, AVX-512 BF16 or AMX).

Where it does, ``steer`` runs the networks in bfloat16, and the benchmark also runs
``steer`` in float32 on the same noise and checks that the experiment's result is
unchanged: the same top ten attributes for Male, each within one rank, and each
covariance within 2%. ``--check-bfloat16`` runs that check on any CPU (bfloat16 is
then emulated, many times slower, so the timing means nothing there).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
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


def matmul_rate(size: int = 2048, reps: int = 5, rounds: int = 3, dtype: torch.dtype = torch.float32) -> float:
    """This machine's matrix-multiply rate in ``dtype`` on all of torch's threads, in GFLOP/s (best of ``rounds``)."""
    a, b = torch.randn(size, size, dtype=dtype), torch.randn(size, size, dtype=dtype)
    a @ b
    best = 0.0
    for _ in range(rounds):  # the first round on a cold machine can read 20% low
        start = time.perf_counter()
        for _ in range(reps):
            a @ b
        best = max(best, 2 * size**3 * reps / (time.perf_counter() - start) / 1e9)
    return best


#: The experiment's result must not move by more than this under lower precision.
MAX_RANK_SHIFT, MAX_COVARIANCE_CHANGE = 1, 0.02


def agreement(low: torch.Tensor, full: torch.Tensor, start_low: torch.Tensor, start_full: torch.Tensor,
              target_index: int) -> dict:
    """Compare two steering runs' top ten (by covariance with the target's change): the checks named above."""
    from ganbias_helpers.steering import top_covariances

    (ia, ca), (ib, cb) = (top_covariances((h - s[None]).numpy(), target_index)
                          for h, s in ((low, start_low), (full, start_full)))
    rank_b = {int(i): r for r, i in enumerate(ib)}
    shifts = [abs(r - rank_b[int(i)]) for r, i in enumerate(ia) if int(i) in rank_b]
    cov_b = dict(zip(map(int, ib), cb))
    changes = [float(c / cov_b[int(i)] - 1) for i, c in zip(ia, ca) if int(i) in cov_b]  # signed
    same_set = set(map(int, ia)) == set(map(int, ib))
    return {
        "same_top_ten": same_set,
        "max_rank_shift": max(shifts),
        "max_covariance_change": max(map(abs, changes)),
        "changes": changes,
        "passed": bool(same_set and max(shifts) <= MAX_RANK_SHIFT
                       and max(map(abs, changes)) <= MAX_COVARIANCE_CHANGE),
    }


def child(variant: str, images: int, steps: int, save: str | None) -> None:
    from ganbias_helpers import get_noise
    from ganbias_helpers.steering import steer, steering_dtype
    from ganbias_helpers.weights import load_pretrained

    gen, classifier = load_pretrained("cpu")
    noise = get_noise(images, seed=0)
    base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    start = time.perf_counter()
    if variant == "reference":
        gen.requires_grad_(True)  # the course loaded its models without freezing them
        classifier.requires_grad_(True)
        history, kept = reference_loop(gen, classifier, noise, 20, steps)
        start_logits = history[0]
    else:
        precision = {"ours": "auto", "ours-float32": "float32", "ours-bfloat16": "bfloat16"}[variant]
        result = steer(gen, classifier, "Male", noise=noise, steps=steps, precision=precision)
        history, start_logits = result.classifications, result.start
    seconds = time.perf_counter() - start
    if save:
        torch.save({"history": history, "start": start_logits}, save)
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
                "dtype": "float32" if variant == "reference" else str(steering_dtype(precision, "cpu"))[6:],
            }
        )
    )


def run(variant: str, images: int, steps: int, save: str | None = None) -> dict:
    out = subprocess.run(
        [sys.executable, __file__, "--child", variant, "--images", str(images), "--steps", str(steps),
         *(["--save", save] if save else [])],
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
    parser.add_argument("--check-bfloat16", action="store_true",
                        help="check bfloat16 against float32 even where bfloat16 is emulated (slow)")
    parser.add_argument("--child", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--save", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.images, args.steps, args.save)
        return

    from ganbias_helpers import Classifier, Generator
    from ganbias_helpers.device import native_bfloat16

    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, {os.cpu_count()} CPUs, "
          f"CPU capability {torch.backends.cpu.get_cpu_capability()}, "
          f"native bfloat16 (AVX-512 BF16 or AMX): {'yes' if native_bfloat16('cpu') else 'no'}")
    per_face_step = 2 * forward_flops(Generator(64), Classifier(n_classes=40))  # forward + backward to the noise
    work = per_face_step * args.images * 2 * args.steps
    peaks = {"float32": matmul_rate()}
    if native_bfloat16("cpu"):  # the rate a bfloat16 row is measured against
        peaks["bfloat16"] = matmul_rate(dtype=torch.bfloat16)
    print(f"Useful work: {per_face_step / 1e6:.0f} MFLOP per face-step, {work / 1e12:.2f} TFLOP in all "
          f"(the reference's {2 * args.steps} passes; steer shares the first, so it does {2 * args.steps - 1})")
    for dtype, peak in peaks.items():
        print(f"This machine's {dtype} matrix multiply (its peak here): {peak:.0f} GFLOP/s "
              f"(floor for the work at that rate: {work / peak / 1e9:.1f} s)")
    print(f"\nTime at {args.images} images, {args.steps}+{args.steps} steps (target Male):")
    with tempfile.TemporaryDirectory() as tmp:
        saved = {v: os.path.join(tmp, f"{v}.pt") for v in ("ours", "ours-float32", "ours-bfloat16")}
        rows = [run("reference", args.images, args.steps), run("ours", args.images, args.steps, saved["ours"])]
        ref, ours = rows
        low = ours if ours["dtype"] == "bfloat16" else None
        if low is None and args.check_bfloat16:
            low = run("ours-bfloat16", args.images, args.steps, saved["ours-bfloat16"])
            rows.append(low)
        if low is not None:
            rows.append(run("ours-float32", args.images, args.steps, saved["ours-float32"]))
            a, b = (torch.load(saved[r["variant"]]) for r in (low, rows[-1]))
            check = agreement(a["history"], b["history"], a["start"], b["start"], target_index=20)
    print(f"  {'':<14} {'dtype':>9} {'seconds':>9} {'GFLOP/s':>8} {'of peak':>8} {'peak RSS MiB':>13} "
          f"{'growth MiB':>11}")
    for r in rows:  # each row's rate counts the passes it made
        passes = 2 * args.steps - (r["variant"] != "reference")
        rate = work * passes / (2 * args.steps) / r["seconds"] / 1e9
        peak = peaks.get(r["dtype"], peaks["float32"])  # an emulated bfloat16 run is measured against float32
        print(f"  {r['variant']:<14} {r['dtype']:>9} {r['seconds']:>9.1f} {rate:>8.1f} {rate / peak:>8.0%} "
              f"{r['peak_rss_mib']:>13.0f} {r['growth_mib']:>11.0f}")
    print(f"  speed-up (reference / ours): {ref['seconds'] / ours['seconds']:.2f}x  (steer's default precision "
          f"here: {ours['dtype']})")
    if low is None:
        print("  No native bfloat16 on this CPU, so steer runs float32 (nothing to check); "
              "--check-bfloat16 checks the bfloat16 result anyway, with bfloat16 emulated.")
    else:
        print(f"  bfloat16 vs float32, same noise: same top ten {'yes' if check['same_top_ten'] else 'NO'}, "
              f"largest rank shift {check['max_rank_shift']} (allowed {MAX_RANK_SHIFT}), largest covariance "
              f"change {check['max_covariance_change']:.2%} (allowed {MAX_COVARIANCE_CHANGE:.0%}): "
              f"{'PASS' if check['passed'] else 'FAIL'}")
        print(f"  covariance changes, top ten in order: {', '.join(f'{c:+.2%}' for c in check['changes'])}")

    if args.memory_steps:
        print(f"\nMemory growth during the loop vs steps ({args.memory_images} images):")
        print(f"  {'steps each way':>14} {'reference MiB':>14} {'ours MiB':>9}")
        for steps in args.memory_steps:
            r, o = run("reference", args.memory_images, steps), run("ours", args.memory_images, steps)
            print(f"  {steps:>14} {r['growth_mib']:>14.0f} {o['growth_mib']:>9.0f}")


if __name__ == "__main__":
    main()
