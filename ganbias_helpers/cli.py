"""The ``ganbias`` command: ``demo`` (the main job), ``train``, ``evaluate`` (the instructor edition adds the grader's).

The grader's commands (``grade``, ``export``, ``secret``) are not part of this package:
the instructor distribution registers them in the entry-point group
:data:`COMMAND_GROUP`, and this command adds whatever is registered there. The
student edition registers nothing, so it has no grader and never imports one.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence


def _add_train(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("train", help="train the classifier or the generator on a CelebA folder")
    which = p.add_subparsers(dest="model", required=True)
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--data", required=True, help="CelebA folder in the official layout")
    common.add_argument("--out", default="runs/train", help="folder for weights, checkpoint and report")
    common.add_argument("--device", default=None, help="cpu, cuda, cuda:1 ... (default: GPU if present)")
    common.add_argument("--seed", type=int, default=0)
    common.add_argument("--batch-size", type=int, default=None)
    common.add_argument("--limit", type=int, default=None, help="use only the first N images of each split")
    common.add_argument("--cache-dir", default=None, help="where decoded images are cached (default ~/.cache/ganbias)")
    common.add_argument("--threads", type=int, default=None, help="CPU threads for torch (default: torch's choice)")
    c = which.add_parser("classifier", parents=[common], help="train the 40-attribute classifier")
    c.add_argument("--epochs", type=int, default=10)
    c.add_argument("--lr", type=float, default=1e-3)
    c.add_argument("--max-steps", type=int, default=None, help="stop after this many steps in all")
    c.add_argument("--init-from", default=None, help="start from these weights (checkpoint or course-format file)")
    c.add_argument("--ema", type=float, default=None, help="ship a moving average of the weights with this decay")
    g = which.add_parser(
        "generator",
        parents=[common],
        help="train the DCGAN generator",
        description="Train the DCGAN generator; rerun the same command to resume. The defaults are the first "
        "shipped recipe; docs/generator_training.md gives the current one.",
    )
    # Unset options keep GeneratorConfig's defaults (the first shipped recipe).
    g.add_argument("--steps", type=int, default=4000, help="total training steps (raise it to continue a run)")
    g.add_argument("--checkpoint-every", type=int, default=None, help="steps between checkpoints (100)")
    g.add_argument("--sample-every", type=int, default=None, help="steps between sample grids (500)")
    g.add_argument("--lr-gen", type=float, default=None, help="generator's Adam learning rate (0.0002)")
    g.add_argument("--lr-critic", type=float, default=None, help="critic's Adam learning rate (0.0002)")
    g.add_argument("--betas", type=float, nargs=2, default=None, metavar=("B1", "B2"), help="Adam's betas (0.5 0.999)")
    g.add_argument("--ema", type=float, default=None, help="decay of the shipped moving average of weights (0.999)")
    g.add_argument("--ema-warmup", action="store_true", default=None,
                   help="let the average's window grow with the run, up to that decay (default: fixed decay)")
    g.add_argument("--diffaug", default=None, metavar="POLICY",
                   help="differentiable augmentation of real and fake faces before the critic: a comma-separated "
                        "subset of color,translation,cutout (default: none)")
    g.add_argument("--mbstd-group", type=int, default=None, help="critic's minibatch-stddev group size (0: none)")
    g.add_argument("--r1-gamma", type=float, default=None,
                   help="weight of R1, a zero-centred gradient penalty on real faces (0: none)")
    g.add_argument("--r1-every", type=int, default=None, help="apply R1 every N steps, scaled by N (16)")
    g.add_argument("--bn-batches", type=int, default=None,
                   help="noise batches that set the exported generator's batch-norm statistics (50)")
    g.add_argument("--bn-batch-size", type=int, default=None, help="faces in each of those batches (256)")
    g.add_argument("--eval-every", type=int, default=None,
                   help="quick evaluation on the val split every N steps, logged and kept in quick_eval.json "
                        "(0: never)")
    g.add_argument("--eval-n", type=int, default=None, help="faces per quick evaluation (1000)")
    g.add_argument("--eval-classifier", default=None, help="classifier for quick evaluations (default: shipped)")
    g.add_argument("--snapshot-every", type=int, default=None,
                   help="export the averaged generator to snapshots/ every N steps (0: never)")
    g.add_argument("--precision", default=None, metavar="{auto,float32,bfloat16}",
                   help="the networks' passes in float32 (the default) or bfloat16 autocast; auto: bfloat16 on a "
                        "CPU with native bfloat16 (AVX-512 BF16 or AMX), about twice as fast there. May change "
                        "on a resume, like --device and --threads")
    g.add_argument("--attr-weight", type=float, default=None,
                   help="attribute matching: the critic learns real faces' CelebA labels and the generator is "
                        "pushed, with this weight, to draw each attribute at its training-split rate (0: off)")
    g.add_argument("--attr-warmup", type=int, default=None, help="steps over which that weight ramps up (1000)")
    g.add_argument("--attr-target", default=None, metavar="{labels,critic}",
                   help="match the generated rates to the training labels' rates (labels, the default) or to the "
                        "head's own mean prediction on real faces (critic: cancels the head's calibration error)")
    g.add_argument("--attr-guide", default=None, metavar="CLASSIFIER",
                   help="match attributes through this separately trained classifier (frozen) instead of the "
                        "critic's head; not the shipped one, which grades the generator")
    g.add_argument("--attr-sharpness", type=float, default=None,
                   help="rates are means of sigmoid(sharpness * logit); above 1 they approach the share of faces "
                        "predicted present (1)")
    g.add_argument("--init-from", default=None, metavar="CHECKPOINT",
                   help="start a new run from another run's weights (a checkpoint or a carried copy)")
    g.add_argument("--carry", default=None, metavar="PATH",
                   help="keep a compact copy of each checkpoint here (about 13 MB, to commit) and resume from it "
                        "when --out has no checkpoint: how a run goes on on another machine")


def _run_train(args: argparse.Namespace) -> int:
    from dataclasses import replace

    import torch

    from .training import ClassifierConfig, GeneratorConfig, train_classifier, train_generator

    if args.threads:
        torch.set_num_threads(args.threads)
    if args.model == "classifier":
        config = ClassifierConfig(
            epochs=args.epochs,
            lr=args.lr,
            seed=args.seed,
            max_steps=args.max_steps,
            init_from=args.init_from,
            ema_decay=args.ema,
        )
        if args.batch_size:
            config = replace(config, batch_size=args.batch_size)
        report = train_classifier(args.data, args.out, config, args.device, args.cache_dir, args.limit)
        print(
            f"classifier written to {args.out}/pretrained_classifier.pth "
            f"(validation mean accuracy {report.get('val_after_calibration', float('nan')):.4f})"
        )
    else:
        options = {
            "checkpoint_every": args.checkpoint_every,
            "sample_every": args.sample_every,
            "lr_gen": args.lr_gen,
            "lr_critic": args.lr_critic,
            "betas": tuple(args.betas) if args.betas else None,
            "ema_decay": args.ema,
            "ema_warmup": args.ema_warmup,
            "bn_batches": args.bn_batches,
            "bn_batch_size": args.bn_batch_size,
            "diffaug": args.diffaug,
            "mbstd_group": args.mbstd_group,
            "r1_gamma": args.r1_gamma,
            "r1_every": args.r1_every,
            "eval_every": args.eval_every,
            "eval_n": args.eval_n,
            "eval_classifier": args.eval_classifier,
            "snapshot_every": args.snapshot_every,
            "batch_size": args.batch_size,
            "precision": args.precision,
            "attr_weight": args.attr_weight,
            "attr_warmup": args.attr_warmup,
            "attr_target": args.attr_target,
            "attr_guide": args.attr_guide,
            "attr_sharpness": args.attr_sharpness,
            "init_from": args.init_from,
        }
        config = GeneratorConfig(
            steps=args.steps, seed=args.seed, **{k: v for k, v in options.items() if v is not None}
        )
        train_generator(args.data, args.out, config, args.device, args.cache_dir, args.limit, carry=args.carry)
        print(f"generator written to {args.out}/pretrained_celeba.pth")
    return 0


def _add_demo(sub: argparse._SubParsersAction) -> None:
    from .demo import FULL_IMAGES, FULL_STEPS
    from .steering import DEFAULT_STEP_SIZE

    p = sub.add_parser("demo", help="steer the shipped generator and rank the attributes that covary")
    p.add_argument("--target", default="Male", help="attribute to steer (default Male)")
    p.add_argument(
        "--images",
        type=int,
        default=FULL_IMAGES,
        help=f"number of faces (default {FULL_IMAGES}, the original course's size, also on a CPU)",
    )
    p.add_argument("--steps", type=int, default=FULL_STEPS, help=f"steps in each direction (default {FULL_STEPS})")
    p.add_argument("--step-size", type=float, default=DEFAULT_STEP_SIZE)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--top", type=int, default=10, help="how many attributes to list")
    p.add_argument("--device", default=None, help="cpu, cuda ... (default: GPU if present)")
    p.add_argument("--out", default="ganbias-demo", help="folder for figures (default ./ganbias-demo)")
    p.add_argument("--generator", default=None, help="use these generator weights instead of the shipped ones")
    p.add_argument("--classifier", default=None, help="use these classifier weights instead of the shipped ones")


def _add_evaluate(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("evaluate", help="measure the models on CelebA's test split (model card figures)")
    p.add_argument("--data", required=True, help="CelebA folder in the official layout")
    p.add_argument(
        "--out", default="runs/evaluation", help="folder for metrics.json, test_predictions.npz, samples.png"
    )
    p.add_argument("--generator", default=None, help="generator weights (default: the shipped ones)")
    p.add_argument("--classifier", default=None, help="classifier weights (default: the shipped ones)")
    p.add_argument("--n-generated", type=int, default=10_000)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--device", default=None)
    p.add_argument("--cache-dir", default=None)


#: Entry-point group of commands added by other distributions: each entry is ``add_parser(subparsers)``,
#: which adds its commands and sets ``handler`` (``handler(args) -> exit status``) on each.
COMMAND_GROUP = "ganbias.commands"


def _add_registered(sub: argparse._SubParsersAction) -> None:
    """Add the commands registered in :data:`COMMAND_GROUP` (the grader's, where it is installed)."""
    from importlib.metadata import distributions

    # Every installed distribution's entries, not importlib's first-found-per-name view: a stale
    # ``ganbias.egg-info`` left in a checkout by an old build would otherwise hide the installed one's.
    found = {(e.name, e.value): e for d in distributions() for e in d.entry_points if e.group == COMMAND_GROUP}
    for entry in sorted(found.values(), key=lambda e: e.name):
        try:
            add = entry.load()
        except ModuleNotFoundError as err:  # metadata left behind by a package that is not installed here
            if err.name != entry.module.split(".")[0]:
                raise
            continue
        add(sub)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``ganbias`` command."""
    parser = argparse.ArgumentParser(prog="ganbias", description=__doc__.splitlines()[0])
    parser.add_argument("-v", "--verbose", action="store_true", help="show progress details")
    sub = parser.add_subparsers(dest="command", required=True)
    _add_demo(sub)
    _add_train(sub)
    _add_evaluate(sub)
    _add_registered(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``ganbias`` command; returns the exit status."""
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stderr)
    try:
        if args.command == "train":
            return _run_train(args)
        if args.command == "evaluate":
            from .evaluation import evaluate

            m = evaluate(
                args.data,
                args.out,
                args.generator,
                args.classifier,
                args.n_generated,
                args.seed,
                args.device,
                args.cache_dir,
            )
            gm = m["generator"]
            male = m["classifier"]["attributes"].index("Male")
            print(
                f"classifier mean accuracy {m['classifier']['mean_accuracy']:.4f}, balanced "
                f"{m['classifier']['mean_balanced_accuracy']:.4f}; generator Fréchet distance "
                f"{gm['frechet_distance_penultimate']:.3f}, predicted Male {gm['predicted_rate_generated'][male]:.3f} "
                f"(real {gm['predicted_rate_real'][male]:.3f}), mean |rate gap| "
                f"{gm['mean_abs_attribute_rate_gap']:.4f}, {len(gm['underdrawn_attributes'])} attributes drawn at "
                f"under a third of their real rate; results in {args.out}"
            )
            return 0
        if getattr(args, "handler", None) is not None:
            return args.handler(args)
        if args.command == "demo":
            from .demo import run_demo

            run_demo(
                args.target,
                args.images,
                args.steps,
                args.step_size,
                args.seed,
                args.device,
                args.out,
                args.top,
                args.generator,
                args.classifier,
            )
            return 0
    except (ValueError, KeyError, FileNotFoundError, RuntimeError) as err:
        message = err.args[0] if isinstance(err, KeyError) and err.args else err
        print(f"ganbias: error: {message}", file=sys.stderr)
        return 2
    return 1


if __name__ == "__main__":
    raise SystemExit(main())
