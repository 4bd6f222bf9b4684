#!/usr/bin/env bash
# Turn finished training runs into the shipped weights, measured on the test split, with their model card.
#   scripts/finalize_weights.sh CELEBA_DIR GENERATOR_RUN [FIRST_CLASSIFIER_RUN] CLASSIFIER_RUN
# GENERATOR_RUN: the folder of the generator run to ship, holding its pretrained_celeba.pth and
# generator_report.json (a finished run; to ship a run at its latest checkpoint, first rerun its own command with
# --steps set to the checkpoint's step, which exports it without training; see docs/generator_training.md).
# CLASSIFIER_RUN: the folder of the classifier run to ship (default runs/classifier_long, the shipped one);
# FIRST_CLASSIFIER_RUN: the run it was fine-tuned from, if any, so that the model card tells both.
#   scripts/finalize_weights.sh CELEBA_DIR GENERATOR_RUN --keep-classifier
# ships a new generator with the shipped classifier unchanged (its recipe is carried over from the current card).
set -euo pipefail
data=${1:?CelebA folder}; gen=${2:?generator run folder}
keep=; if [ "${3:-}" = --keep-classifier ]; then keep=1
elif [ $# -ge 4 ]; then first=$3; last=$4; else last=${3:-runs/classifier_long}; first=$last; fi
W=ganbias_helpers/weights
test -f "$gen/pretrained_celeba.pth" -a -f "$gen/generator_report.json" \
    || { echo "$gen: no pretrained_celeba.pth and generator_report.json (finish or export the run first)" >&2; exit 2; }
cp "$gen/pretrained_celeba.pth" "$W/"
[ -n "$keep" ] || cp "$last/pretrained_classifier.pth" "$W/"
(cd "$W" && sha256sum pretrained_celeba.pth pretrained_classifier.pth > SHA256SUMS)
ganbias evaluate --data "$data" --out runs/evaluation
cp runs/evaluation/metrics.json runs/evaluation/test_predictions.npz runs/evaluation/samples.png "$W/"
if [ -n "$keep" ]; then
    python scripts/write_model_card.py runs/evaluation/metrics.json --keep-classifier "$gen/generator_report.json"
else
    python scripts/write_model_card.py runs/evaluation/metrics.json "$first/classifier_report.json" \
        "$last/classifier_report.json" "$gen/generator_report.json"
fi
