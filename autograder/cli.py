"""``ganbias grade``: grade a batch of student notebooks in the sandbox (``python -m autograder`` too).

``ganbias export`` (:mod:`autograder.export`) and ``ganbias secret`` (the course secret,
:mod:`autograder.items.secret`) are added next to it. The ``ganbias`` command finds
:func:`add_parser` through the ``ganbias.commands`` entry point that only this, the
instructor distribution, registers (pyproject.toml).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence


def add_parser(sub: argparse._SubParsersAction) -> None:
    """Add the ``grade``, ``export`` and ``secret`` commands to a parent command's subparsers."""
    p = sub.add_parser("grade", help="grade student notebooks (sandboxed autograder; see autograder/README.md)")
    configure(p)
    p.set_defaults(handler=run)
    from .export import add_parser as add_export  # light: nothing of the grader is imported

    add_export(sub)
    sub.choices["export"].set_defaults(handler=run)
    s = sub.add_parser("secret", help="the course secret the hidden cases are drawn from (init, show)")
    s.add_argument("action", choices=("init", "show"),
                   help="init: write a new random secret to course_secret.txt (git-ignored); show: say where "
                        "the secret comes from and its fingerprint (never the secret)")
    s.add_argument("--path", default=None, help="write the secret here instead (then export GANBIAS_COURSE_SECRET)")
    s.add_argument("--force", action="store_true", help="replace an existing secret (every hidden case changes)")
    s.set_defaults(handler=run)


def configure(p: argparse.ArgumentParser) -> None:
    """The ``grade`` command's arguments."""
    p.add_argument("submissions", nargs="+",
                   help="notebook files or folders (a folder of notebooks is one student; a folder of folders, "
                        "like nbgrader's submitted/, is one student per subfolder)")
    p.add_argument("--out", required=True, help="folder for grades.csv, results/, feedback/ (and gradescope/)")
    p.add_argument("--jobs", type=int, default=2, help="students graded in parallel (default 2)")
    p.add_argument("--force", action="store_true", help="regrade students already graded in --out")
    p.add_argument("--gradescope", action="store_true", help="also write gradescope/<student>/results.json")
    p.add_argument("--isolation", choices=("auto", "bubblewrap", "user", "none"), default="auto",
                   help="how to isolate students' code (default: bubblewrap, else another user when root)")
    p.add_argument("--trusted-submissions", action="store_true",
                   help="allow grading without isolation when none is available (only for code you trust)")
    p.add_argument("--timeout", type=float, default=30.0, help="seconds one call of a student's function may take")
    p.add_argument("--budget", type=float, default=600.0, help="seconds all of one student's code may take")
    p.add_argument("--memory-mb", type=int, default=2048, help="memory a student's code may allocate (MB)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.add_argument("--similarity", action="store_true",
                   help="after grading, write similarity.html/.csv: pairs of students' answers that share, in the "
                        "same place, code of their own few others wrote, and answers that are a known source "
                        "(flags only; grades unchanged)")
    p.add_argument("--similarity-threshold", type=float, default=0.5, metavar="S",
                   help="share of the shorter answer's own rare code a pair must share, in the same place, to be "
                        "listed (default 0.5)")
    p.add_argument("--manual-scores", default=None, metavar="FILE.csv",
                   help="hand scores of the written questions (columns student,question,points), merged into "
                        "grades.csv; without it grades.csv lists what is still to grade by hand (autograder/manual.py)")
    late = p.add_argument_group("late submissions and Canvas (autograder/lms.py)")
    late.add_argument("--due", default=None, metavar="DATETIME",
                      help="due date, e.g. 2026-12-01T23:59 (in --timezone): nbgrader's timestamp.txt per submission "
                           "is compared with it and late hand-ins lose --late-penalty")
    late.add_argument("--late-penalty", type=float, default=10.0, metavar="PCT",
                      help="percent of the points earned taken per day or part of a day late (default 10)")
    late.add_argument("--late-cap", type=float, default=100.0, metavar="PCT", help="the most taken (default 100)")
    late.add_argument("--grace-minutes", type=float, default=0.0, help="lateness forgiven (default 0)")
    late.add_argument("--timezone", default="UTC", help="zone of times given without one (default UTC)")
    late.add_argument("--canvas", default=None, metavar="ROSTER.csv",
                      help="Canvas gradebook export: write canvas.csv to import, matching students by id or login")
    late.add_argument("--canvas-assignment", default="ganbias",
                      help="the assignment's Canvas column, e.g. 'GAN bias (123456)' as in the export "
                           "(default: ganbias, a new column)")


def run(args: argparse.Namespace) -> int:
    """Run ``grade`` (or ``export``); exit status 0 when all were graded, 1 otherwise, 2 for a usage problem."""
    if args.command == "export":
        from .export import run as run_export

        return run_export(args)
    if args.command == "secret":
        return run_secret(args)
    for stream in (sys.stdout, sys.stderr):  # a student id that is not valid UTF-8 is printed escaped, never raises
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="backslashreplace")
    from .grading import grade_batch
    from .sandbox import IsolationError, Limits, choose_isolation

    if args.due or args.canvas:  # a wrong date or roster is said first, before grading
        from .lms import parse_time, read_roster

        try:
            if args.due:
                parse_time(args.due, args.timezone)
            if args.canvas:
                read_roster(args.canvas)
        except (ValueError, OSError) as err:
            print(f"ganbias grade: {err}", file=sys.stderr)
            return 2
    from .manual import apply_manual_scores, read_manual_scores

    try:
        manual_scores = read_manual_scores(args.manual_scores) if args.manual_scores else None
    except (ValueError, OSError) as err:  # said first, before grading
        print(f"ganbias grade: {err}", file=sys.stderr)
        return 2
    try:
        isolation = choose_isolation(args.isolation, trusted=args.trusted_submissions)
    except IsolationError as err:
        print(f"ganbias grade: {err}", file=sys.stderr)
        return 2
    if isolation.unprotected:
        print(f"warning: isolation is {isolation.describe()}", file=sys.stderr)
    limits = Limits(call_timeout_s=args.timeout, student_budget_s=args.budget, memory_bytes=args.memory_mb * 2**20)
    try:
        summary = grade_batch(args.submissions, args.out, jobs=args.jobs, force=args.force,
                              gradescope=args.gradescope, limits=limits, isolation=isolation,
                              progress=not args.no_progress)
    except (ValueError, FileNotFoundError, RuntimeError) as err:
        print(f"ganbias grade: {err}", file=sys.stderr)
        return 2
    print(summary.text())
    for line in apply_manual_scores(args.out, summary.grades, manual_scores):
        print(line)
    if args.due or args.canvas:
        from .lms import after_batch

        try:
            for line in after_batch(args.submissions, args.out, summary.grades, due=args.due,
                                    percent_per_day=args.late_penalty, cap_percent=args.late_cap,
                                    grace_minutes=args.grace_minutes, timezone=args.timezone, canvas=args.canvas,
                                    assignment=args.canvas_assignment):
                print(line)
        except (ValueError, OSError) as err:
            print(f"ganbias grade: {err}", file=sys.stderr)
            return 2
    if args.similarity:
        from .similarity import similarity_report

        report = similarity_report({g.student: list(g.files) for g in summary.grades}, args.out,
                                   threshold=args.similarity_threshold)
        print(report.text())
        print(f"similarity report in {os.path.join(args.out, 'similarity.html')}")
    print(f"grades in {os.path.join(args.out, 'grades.csv')}, feedback in {os.path.join(args.out, 'feedback', '')}")
    return 0 if all(g.status == "graded" for g in summary.grades) else 1


def run_secret(args: argparse.Namespace) -> int:
    """``ganbias secret init|show``; exit status 0, or 2 when there is nothing to do."""
    from .items.secret import SECRET_ENV, default_secret_path, describe, init_secret, read_secret

    if args.action == "init":
        try:
            path = init_secret(args.path, force=args.force)
        except FileExistsError as err:
            print(f"ganbias secret: {err}", file=sys.stderr)
            return 2
        print(f"wrote a new course secret to {path} (keep it out of every repository; .gitignore excludes "
              f"course_secret.txt). {describe(path.read_text(encoding='utf-8').strip())}")
        return 0
    try:
        secret = read_secret()
    except ValueError as err:
        print(f"ganbias secret: {err}", file=sys.stderr)
        return 2
    source = (f"the environment variable {SECRET_ENV}" if os.environ.get(SECRET_ENV, "").strip() else
              str(default_secret_path()) if secret is not None else "nowhere")
    print(f"course secret from {source}: {describe(secret)}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m autograder grade ...``."""
    parser = argparse.ArgumentParser(prog="python -m autograder")
    sub = parser.add_subparsers(dest="command", required=True)
    add_parser(sub)
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    raise SystemExit(main())
