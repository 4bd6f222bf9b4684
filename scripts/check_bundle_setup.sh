#!/usr/bin/env bash
# `make check-bundle`: export the Gradescope bundle, run its setup.sh into a fresh virtual environment (no apt-get),
# lay out Gradescope's container in a temporary folder and grade the six solution notebooks with what setup.sh
# installed; fails unless they get every point. Needs the network (PyPI and PyTorch's CPU index): CI runs it, the
# test suite does not (tests/test_platforms.py checks the bundle offline).
set -euo pipefail
PY="${PYTHON:-.venv/bin/python}"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
"$PY" -m autograder export gradescope --out "$WORK/export"
SOURCE="$WORK/root/autograder/source"
mkdir -p "$SOURCE" "$WORK/root/autograder/submission" "$WORK/root/autograder/results"
"$PY" -m zipfile -e "$WORK/export/autograder.zip" "$SOURCE"
chmod +x "$SOURCE/setup.sh" "$SOURCE/run_autograder"
GANBIAS_SKIP_APT=1 GANBIAS_PREFIX="$WORK/venv" bash "$SOURCE/setup.sh"
cp solutions/ganbias/*.ipynb "$WORK/root/autograder/submission/"
GANBIAS_PLATFORM_ROOT="$WORK/root" GANBIAS_PYTHON="$WORK/venv/bin/python" bash "$SOURCE/run_autograder"
"$PY" - "$WORK/root/autograder/results/results.json" <<'PYEOF'
import json
import sys

results = json.load(open(sys.argv[1]))
print(f"bundle installed by setup.sh graded the solutions: {results['score']} points")
sys.exit(0 if results["score"] == 15 else 1)
PYEOF
