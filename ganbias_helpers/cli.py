"""The ``ganbias`` command: ``demo`` (the main job), ``train``, ``evaluate`` and ``grade``."""

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
    c = which.add_parser("classifier", parents=[common], help="train the 40-attribute classifier")
    c.add_argument("--epochs", type=int, default=10)
    c.add_argument("--lr", type=float, default=1e-3)
    c.add_argument("--max-steps", type=int, default=None, help="stop after this many steps in all")
    c.add_argument("--init-from", default=None, help="start from these weights (checkpoint or course-format file)")
    c.add_argument("--ema", type=float, default=None, help="ship a moving average of the weights with this decay")
    g = which.add_parser("generator", parents=[common], help="train the DCGAN generator")
    g.add_argument("--steps", type=int, default=4000, help="total training steps (raise it to continue a run)")
    g.add_argument("--checkpoint-every", type=int, default=100)
    g.add_argument("--sample-every", type=int, default=500)


def _run_train(args: argparse.Namespace) -> int:
    from dataclasses import replace

    from .training import ClassifierConfig, GeneratorConfig, train_classifier, train_generator

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
        config = GeneratorConfig(
            steps=args.steps, seed=args.seed, checkpoint_every=args.checkpoint_every, sample_every=args.sample_every
        )
        if args.batch_size:
            config = replace(config, batch_size=args.batch_size)
        train_generator(args.data, args.out, config, args.device, args.cache_dir, args.limit)
        print(f"generator written to {args.out}/pretrained_celeba.pth")
    return 0


def _add_demo(sub: argparse._SubParsersAction) -> None:
    from .demo import GPU_IMAGES, GPU_STEPS
    from .steering import DEFAULT_STEP_SIZE

    p = sub.add_parser("demo", help="steer the shipped generator and rank the attributes that covary")
    p.add_argument("--target", default="Male", help="attribute to steer (default Male)")
    p.add_argument(
        "--images",
        type=int,
        default=GPU_IMAGES,
        help=f"number of faces (default {GPU_IMAGES}, the original course's size, also on a CPU)",
    )
    p.add_argument("--steps", type=int, default=GPU_STEPS, help=f"steps in each direction (default {GPU_STEPS})")
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


def _add_grade(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("grade", help="grade student notebooks (sandboxed autograder; see autograder/)")
    p.add_argument("submissions", nargs="+",
                   help="notebook files or folders (a folder of notebooks is one student; a folder of folders, "
                        "like nbgrader's submitted/, is one student per subfolder)")
    p.add_argument("--out", required=True, help="folder for grades.csv, results/, feedback/ (and gradescope/)")
    p.add_argument("--jobs", type=int, default=2, help="students graded in parallel (default 2)")
    p.add_argument("--force", action="store_true", help="regrade students already graded in --out")
    p.add_argument("--gradescope", action="store_true", help="also write gradescope/<student>/results.json")
    p.add_argument("--solutions", default=None, help="solution notebooks folder (default solutions/ganbias)")
    p.add_argument("--timeout", type=float, default=30.0, help="seconds one call of a student's function may take")
    p.add_argument("--memory-mb", type=int, default=2048, help="memory a student's code may allocate (MB)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")


def _run_grade(args: argparse.Namespace) -> int:
    from autograder.grading import grade_batch
    from autograder.sandbox import Limits

    limits = Limits(call_timeout_s=args.timeout, memory_bytes=args.memory_mb * 2**20)
    summary = grade_batch(args.submissions, args.out, jobs=args.jobs, force=args.force, gradescope=args.gradescope,
                          limits=limits, solutions=args.solutions, progress=not args.no_progress)
    print(summary.text())
    print(f"grades in {args.out}/grades.csv, feedback in {args.out}/feedback/")
    return 0 if all(g.status == "graded" for g in summary.grades) else 1


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``ganbias`` command."""
    parser = argparse.ArgumentParser(prog="ganbias", description=__doc__)
    parser.add_argument("-v", "--verbose", action="store_true", help="show progress details")
    sub = parser.add_subparsers(dest="command", required=True)
    _add_demo(sub)
    _add_train(sub)
    _add_evaluate(sub)
    _add_grade(sub)
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
            print(
                f"classifier mean accuracy {m['classifier']['mean_accuracy']:.4f}, balanced "
                f"{m['classifier']['mean_balanced_accuracy']:.4f}; generator Fréchet distance "
                f"{m['generator']['frechet_distance_penultimate']:.3f}; results in {args.out}"
            )
            return 0
        if args.command == "grade":
            return _run_grade(args)
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
