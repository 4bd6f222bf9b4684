"""``ganbias export gradescope|prairielearn|student --out DIR``: the grader's bundles, and the student edition.

``student`` writes the student edition (:mod:`autograder.student_edition`); the rest of
this module is about the two grading platforms.

Both bundles carry the course package as a wheel built here from the installed package
(grader, helpers and the shipped weights; no source checkout needed), the exact versions
of its dependencies in this environment, and a ``setup.sh`` that installs them with a
CPU-only PyTorch. Their entry points run :mod:`autograder.platforms`, that is
``ganbias grade``'s grader on one submission.

* Gradescope: ``DIR/autograder.zip`` with ``setup.sh``, ``run_autograder``, the wheel,
  ``requirements.txt`` and ``ganbias_platform.json`` at its root (upload it as the
  assignment's autograder).
* PrairieLearn: ``DIR/questions/<qid>/`` (``info.json`` with ``externalGradingOptions``,
  ``question.html``, ``tests/run_grader`` and its settings) to copy into a course
  repository, and ``DIR/grader-image/`` (``Dockerfile``, ``setup.sh``, the wheel...) to build
  and push the grader image that ``info.json`` names.

Both carry the course secret (:mod:`autograder.items.secret`) in a file only root can read
(``course_secret.txt``, beside the entry point: in the Gradescope zip, in the PrairieLearn
question's ``tests/``, never in the grader image, which may be public), so the platform
draws the same hidden cases as ``ganbias grade`` here.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import importlib.metadata as metadata
import io
import json
import re
import sys
import uuid
import zipfile
from collections.abc import Iterable
from pathlib import Path

DIST = "ganbias"
#: Packages of the distribution (as in pyproject.toml).
PACKAGES = ("ganbias_helpers", "autograder")
#: Where setup.sh puts the grader's Python environment in the container.
PREFIX = "/opt/ganbias"
#: Dependencies never pinned: CUDA runtime pieces that a CUDA build of torch pulls in.
_CUDA = re.compile(r"^(nvidia-.*|triton|cuda-.*|pytorch-triton.*)$")
#: PyTorch's own index of CPU-only wheels.
TORCH_CPU_INDEX = "https://download.pytorch.org/whl/cpu"


def add_parser(sub: argparse._SubParsersAction) -> None:
    """Add the ``export`` command to a parent command's subparsers."""
    p = sub.add_parser("export", help="write a Gradescope autograder zip or a PrairieLearn question and grader image")
    configure(p)


def configure(p: argparse.ArgumentParser) -> None:
    """The ``export`` command's arguments."""
    p.add_argument("platform", choices=("gradescope", "prairielearn", "student"),
                   help="a grading platform's bundle, or the student edition (a folder to publish as its own "
                        "public repository)")
    p.add_argument("--out", required=True, help="folder to write the bundle into")
    p.add_argument("--notebooks", nargs="+", default=None, metavar="NOTEBOOK",
                   help="graded notebooks this assignment covers, e.g. 04_fairness (default: all)")
    p.add_argument("--hidden-visibility", default="after_published",
                   choices=("hidden", "after_due_date", "after_published", "visible"),
                   help="Gradescope: when students see what failed on the hidden checks (default after_published)")
    p.add_argument("--visibility", default="visible", choices=("hidden", "after_due_date", "after_published",
                                                                 "visible"),
                   help="Gradescope: when students see each function's score and visible checks (default visible)")
    p.add_argument("--hidden-details", action="store_true",
                   help="PrairieLearn: name the failed hidden checks and why (default: only how many failed)")
    p.add_argument("--isolation", choices=("auto", "bubblewrap", "user"), default="auto",
                   help="isolation inside the container (default: bubblewrap if it works there, else user nobody)")
    p.add_argument("--timeout", type=float, default=30.0, help="seconds one call of a student's function may take")
    p.add_argument("--budget", type=float, default=None,
                   help="seconds all of one student's code may take (default: 420 Gradescope, 240 PrairieLearn)")
    p.add_argument("--memory-mb", type=int, default=2048, help="memory a student's code may allocate (MB)")
    p.add_argument("--image", default="YOUR-DOCKERHUB-NAME/ganbias-grader:latest",
                   help="PrairieLearn: the grader image info.json names (build it from grader-image/)")
    p.add_argument("--qid", default="ganbias", help="PrairieLearn: the question's folder name")
    p.add_argument("--grading-timeout", type=int, default=300, help="PrairieLearn: the grading job's timeout (s)")
    p.set_defaults(handler=_run_from_cli)


def _run_from_cli(args: argparse.Namespace) -> int:
    from .cli import run as run_cli

    return run_cli(args)


def run(args: argparse.Namespace) -> int:
    """Run ``export``; exit status 0 on success, 2 for a usage problem."""
    if args.platform == "student":
        from .student_edition import run as run_student

        return run_student(args)
    from .platforms import PlatformConfig

    budget = args.budget if args.budget is not None else (420.0 if args.platform == "gradescope" else
                                                          max(30.0, args.grading_timeout - 60.0))
    try:
        config = PlatformConfig(platform=args.platform, notebooks=tuple(args.notebooks or ()),
                                visible_visibility=args.visibility, hidden_visibility=args.hidden_visibility,
                                hidden_details=args.hidden_details, isolation=args.isolation,
                                call_timeout_s=args.timeout, student_budget_s=budget, memory_mb=args.memory_mb,
                                version=metadata.version(DIST)).validate()
    except ValueError as err:
        print(f"ganbias export: {err}", file=sys.stderr)
        return 2
    if args.platform == "gradescope":
        path = export_gradescope(args.out, config)
        print(f"wrote {path} ({path.stat().st_size / 2**20:.1f} MB): upload it as the Gradescope assignment's "
              "autograder (Configure Autograder > Zip file upload)")
    else:
        path = export_prairielearn(args.out, config, image=args.image, qid=args.qid, timeout=args.grading_timeout)
        print(f"wrote the question {path} and the grader image's files {Path(args.out) / 'grader-image'}: "
              "build and push the image, then copy the question into your course's questions/")
    return 0


# ---------------------------------------------------------------- the wheel


def _package_files() -> list[tuple[str, Path]]:
    """(name in the wheel, file) for every file of the installed packages, caches left out."""
    import importlib

    found = []
    for package in PACKAGES:
        root = Path(importlib.import_module(package).__file__).resolve().parent
        for path in sorted(root.rglob("*")):
            rel = path.relative_to(root)
            if path.is_dir() or "__pycache__" in rel.parts or path.suffix in (".pyc", ".pyo") or path.is_symlink():
                continue
            if rel.parts[0].startswith(".") or path.name in ("conftest.py", "test_submission.py", "README.md"):
                continue
            found.append((f"{package}/{rel.as_posix()}", path))
    return found


def _record_hash(data: bytes) -> str:
    return "sha256=" + base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()


def build_wheel(dest: Path) -> Path:
    """A pure-Python wheel of the installed course package (grader, helpers, weights) in ``dest``.

    Built from the installed files themselves, so it works from a source checkout and from a
    ``pip install .`` alike.
    """
    dist = metadata.distribution(DIST)
    version = dist.version
    info = f"{DIST}-{version}.dist-info"
    meta = dist.read_text("METADATA") or f"Metadata-Version: 2.1\nName: {DIST}\nVersion: {version}\n"
    entry_points = dist.read_text("entry_points.txt") or ""
    dest.mkdir(parents=True, exist_ok=True)
    target = dest / f"{DIST}-{version}-py3-none-any.whl"
    records = []
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as wheel:
        def add(name: str, data: bytes) -> None:
            entry = zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0))
            entry.external_attr = 0o644 << 16
            entry.compress_type = zipfile.ZIP_DEFLATED
            wheel.writestr(entry, data)
            records.append(f"{name},{_record_hash(data)},{len(data)}")

        for name, path in _package_files():
            add(name, path.read_bytes())
        add(f"{info}/METADATA", meta.encode())
        add(f"{info}/WHEEL", b"Wheel-Version: 1.0\nGenerator: ganbias-export\nRoot-Is-Purelib: true\n"
                             b"Tag: py3-none-any\n")
        if entry_points:
            add(f"{info}/entry_points.txt", entry_points.encode())
        records.append(f"{info}/RECORD,,")
        entry = zipfile.ZipInfo(f"{info}/RECORD", date_time=(2020, 1, 1, 0, 0, 0))
        entry.external_attr = 0o644 << 16
        wheel.writestr(entry, "\n".join(records) + "\n")
    return target


# ---------------------------------------------------------------- pinned dependencies


def _name(requirement: str) -> str:
    return re.split(r"[\s;<>=!~\[(]", requirement.strip(), maxsplit=1)[0]


def _applies(requirement: str) -> bool:
    """Whether a Requires-Dist line applies without extras (markers for this Python and platform)."""
    if ";" not in requirement:
        return True
    try:
        from packaging.requirements import Requirement
    except ImportError:  # pragma: no cover (packaging comes with matplotlib)
        return "extra" not in requirement
    marker = Requirement(requirement).marker
    return marker is None or marker.evaluate({"extra": ""})


def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def pinned_requirements() -> tuple[dict[str, str], dict[str, str]]:
    """The exact versions installed here: (torch and torchvision, every other dependency), transitively."""
    seen: dict[str, str] = {}
    todo = [_name(r) for r in (metadata.requires(DIST) or []) if _applies(r)]
    while todo:
        name = _normal(todo.pop())
        if name in seen or _CUDA.match(name):
            continue
        try:
            dist = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            continue
        seen[name] = dist.version.split("+", 1)[0]
        todo += [_name(r) for r in (dist.requires or []) if _applies(r)]
    torch = {k: seen.pop(k) for k in ("torch", "torchvision") if k in seen}
    return torch, dict(sorted(seen.items()))


def requirements_text(pins: dict[str, str]) -> str:
    """``requirements.txt``: one ``name==version`` a line."""
    return "".join(f"{name}=={version}\n" for name, version in pins.items())


def setup_sh(torch: dict[str, str], prefix: str = PREFIX) -> str:
    """The bundle's ``setup.sh``: a Python of the exporting minor version, pinned packages, a CPU-only torch."""
    py = f"{sys.version_info.major}.{sys.version_info.minor}"
    torch_pins = " ".join(f"{k}=={v}" for k, v in torch.items())
    return f"""#!/usr/bin/env bash
# Installs the ganbias autograder (written by `ganbias export`; Gradescope runs it once, when the image is built).
# Python {py} (the version the pins were taken from), a CPU-only PyTorch (about 0.8 GB installed, where a CUDA
# build is about 5 GB), the exact versions in requirements.txt, then the course package without dependencies.
# Settings: GANBIAS_PREFIX (where the environment goes, default {prefix}), GANBIAS_SKIP_APT=1 (no apt-get),
# GANBIAS_TORCH_INDEX (an index of CPU wheels, default {TORCH_CPU_INDEX}).
set -euo pipefail
HERE="$(cd "$(dirname "${{BASH_SOURCE[0]}}")" && pwd)"
PREFIX="${{GANBIAS_PREFIX:-{prefix}}}"
PY=python{py}
TORCH_INDEX="${{GANBIAS_TORCH_INDEX:-{TORCH_CPU_INDEX}}}"

if [ "${{GANBIAS_SKIP_APT:-0}}" != 1 ] && command -v apt-get >/dev/null; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q
    # bubblewrap: the grader's preferred sandbox (it falls back to running students' code as 'nobody').
    apt-get install -y -q bubblewrap util-linux || true
    if ! command -v "$PY" >/dev/null; then
        apt-get install -y -q "$PY" "$PY-venv" || {{
            apt-get install -y -q software-properties-common && add-apt-repository -y ppa:deadsnakes/ppa &&
            apt-get update -q && apt-get install -y -q "$PY" "$PY-venv"; }}
    fi
fi
command -v "$PY" >/dev/null || {{ echo "setup.sh: $PY is needed (the pinned versions are for it)" >&2; exit 1; }}

"$PY" -m venv "$PREFIX"
"$PREFIX/bin/python" -m pip install --quiet --upgrade pip
if ! "$PREFIX/bin/python" -m pip install --quiet --index-url "$TORCH_INDEX" {torch_pins}; then
    echo "setup.sh: no CPU-only build of {torch_pins} at $TORCH_INDEX; installing PyPI's (with CUDA, ~5 GB)" >&2
    "$PREFIX/bin/python" -m pip install --quiet {torch_pins}
fi
"$PREFIX/bin/python" -m pip install --quiet -r "$HERE/requirements.txt"
"$PREFIX/bin/python" -m pip install --quiet --no-deps "$HERE"/{DIST}-*.whl
chmod -R a+rX "$PREFIX"
"$PREFIX/bin/python" -c "import autograder.platforms, ganbias_helpers.weights; print('ganbias grader installed')"
"""


RUN_SCRIPT = """#!/usr/bin/env bash
# Grades {what} with the ganbias autograder and writes {results}.
# GANBIAS_PYTHON: the Python that has the course package (default: the one setup.sh installed);
# GANBIAS_PLATFORM_ROOT: the folder standing for / (tests lay a container out in a temporary folder).
export OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MPLBACKEND=Agg
# The course secret the hidden cases are drawn from, exported with the bundle (readable by root only;
# beside this script, or in source/ where Gradescope copies this script up to /autograder).
for SECRET_FILE in "$(dirname "$0")/{secret_file}" "$(dirname "$0")/source/{secret_file}"; do
    if [ -z "${{GANBIAS_COURSE_SECRET:-}}" ] && [ -f "$SECRET_FILE" ]; then
        GANBIAS_COURSE_SECRET="$(cat "$SECRET_FILE")"
        export GANBIAS_COURSE_SECRET
    fi
done
exec "${{GANBIAS_PYTHON:-{prefix}/bin/python}}" -m autograder.platforms {platform}
"""


def write_secret(folder: Path) -> bool:
    """Put the course secret in ``folder`` (readable by its owner only); False when there is none (said on stderr)."""
    from .items.secret import SECRET_FILE, read_secret

    secret = read_secret()
    if secret is None:
        print("warning: no course secret (GANBIAS_COURSE_SECRET or course_secret.txt): this bundle grades the "
              "hidden cases' PUBLIC DEFAULTS; run `ganbias secret init` and export again", file=sys.stderr)
        return False
    path = folder / SECRET_FILE
    path.touch(mode=0o600)
    path.chmod(0o600)
    path.write_text(secret + "\n", encoding="utf-8")
    return True


def _write_common(folder: Path, config) -> None:  # noqa: ANN001 (a PlatformConfig)
    torch, others = pinned_requirements()
    build_wheel(folder)
    (folder / "requirements.txt").write_text(requirements_text(others))
    (folder / "setup.sh").write_text(setup_sh(torch))
    (folder / "setup.sh").chmod(0o755)


def _zip_folder(folder: Path, target: Path, executables: Iterable[str]) -> None:
    from .items.secret import SECRET_FILE

    executables = set(executables)
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                name = path.relative_to(folder).as_posix()
                entry = zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0))
                mode = 0o755 if name in executables else 0o600 if name == SECRET_FILE else 0o644
                entry.external_attr = mode << 16
                entry.compress_type = zipfile.ZIP_DEFLATED
                archive.writestr(entry, path.read_bytes())


def export_gradescope(out: str | Path, config) -> Path:  # noqa: ANN001 (a PlatformConfig)
    """Write ``out/autograder.zip`` (and its unzipped files in ``out/gradescope-autograder/``)."""
    import shutil

    out = Path(out)
    folder = out / "gradescope-autograder"
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    _write_common(folder, config)
    from .items.secret import SECRET_FILE
    from .platforms import CONFIG_NAME

    (folder / CONFIG_NAME).write_text(config.to_json())
    write_secret(folder)
    (folder / "run_autograder").write_text(RUN_SCRIPT.format(
        what="/autograder/submission", results="/autograder/results/results.json", prefix=PREFIX,
        platform="gradescope", secret_file=SECRET_FILE))
    (folder / "run_autograder").chmod(0o755)
    target = out / "autograder.zip"
    _zip_folder(folder, target, {"setup.sh", "run_autograder"})
    return target


QUESTION_HTML = """<pl-question-panel>
  <p>Upload your course notebooks ({names}): the <code>.ipynb</code> files, with any names, or a
  <code>.zip</code> of them (any number of each). Each graded function is checked on visible and
  hidden inputs, as in the notebooks' check cells.</p>
  <pl-file-upload optional-file-patterns="*.ipynb, *.zip"></pl-file-upload>
</pl-question-panel>

<pl-submission-panel>
  <pl-external-grader-results></pl-external-grader-results>
  <pl-file-preview></pl-file-preview>
</pl-submission-panel>
"""

DOCKERFILE = """# The ganbias grader image for PrairieLearn (written by `ganbias export prairielearn`).
# docker build -t {image} . && docker push {image}
FROM ubuntu:24.04
COPY . /opt/ganbias-setup
RUN bash /opt/ganbias-setup/setup.sh && rm -rf /root/.cache/pip
"""


def export_prairielearn(out: str | Path, config, image: str, qid: str = "ganbias",  # noqa: ANN001
                        timeout: int = 300) -> Path:
    """Write ``out/questions/<qid>/`` and ``out/grader-image/``; returns the question folder."""
    import shutil

    from .items import graded_notebooks
    from .items.secret import SECRET_FILE
    from .platforms import CONFIG_NAME

    out = Path(out)
    question, image_dir = out / "questions" / qid, out / "grader-image"
    for folder in (question, image_dir):
        if folder.exists():
            shutil.rmtree(folder)
        folder.mkdir(parents=True)
    _write_common(image_dir, config)
    (image_dir / "Dockerfile").write_text(DOCKERFILE.format(image=image))
    notebooks = list(config.notebooks) or list(graded_notebooks())
    info = {
        "uuid": str(uuid.uuid5(uuid.NAMESPACE_URL, f"ganbias-course/{qid}/{','.join(notebooks)}")),
        "title": "Finding bias in a GAN: " + ", ".join(notebooks),
        "topic": "Bias in generative models",
        "tags": ["ganbias", "autograded", "notebook"],
        "type": "v3",
        "singleVariant": True,
        "gradingMethod": "External",
        "externalGradingOptions": {
            "enabled": True,
            "image": image,
            "entrypoint": "/grade/tests/run_grader",
            "timeout": timeout,
            "enableNetworking": False,
        },
    }
    (question / "info.json").write_text(json.dumps(info, indent=2) + "\n")
    (question / "question.html").write_text(QUESTION_HTML.format(names=", ".join(f"{n}.ipynb" for n in notebooks)))
    tests = question / "tests"
    tests.mkdir()
    (tests / CONFIG_NAME).write_text(config.to_json())
    write_secret(tests)  # in the question's tests/ (the course repository), never in the image
    (tests / "run_grader").write_text(RUN_SCRIPT.format(
        what="/grade/student", results="/grade/results/results.json", prefix=PREFIX, platform="prairielearn",
        secret_file=SECRET_FILE))
    (tests / "run_grader").chmod(0o755)
    return question


def bundle_listing(path: Path) -> list[str]:
    """Names in a zip (for the README and tests)."""
    with zipfile.ZipFile(io.BytesIO(path.read_bytes())) as archive:
        return archive.namelist()
