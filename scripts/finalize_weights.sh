#!/usr/bin/env bash
# Turn finished training runs into the shipped weights, measured on the test split, with their model card.
#   scripts/finalize_weights.sh CELEBA_DIR GENERATOR_STEPS [FIRST_CLASSIFIER_RUN] CLASSIFIER_RUN
# GENERATOR_STEPS: the step of runs/generator's checkpoint to ship (the command below exports it without training).
# CLASSIFIER_RUN: the folder of the classifier run to ship (default runs/classifier_long, the shipped one);
# FIRST_CLASSIFIER_RUN: the run it was fine-tuned from, if any, so that the model card tells both.
set -euo pipefail
data=${1:?CelebA folder}; steps=${2:?generator steps}
if [ $# -ge 4 ]; then first=$3; last=$4; else last=${3:-runs/classifier_long}; first=$last; fi
W=ganbias_helpers/weights
ganbias train generator --data "$data" --out runs/generator --steps "$steps"
cp runs/generator/pretrained_celeba.pth "$last/pretrained_classifier.pth" "$W/"
(cd "$W" && sha256sum pretrained_celeba.pth pretrained_classifier.pth > SHA256SUMS)
ganbias evaluate --data "$data" --out runs/evaluation
cp runs/evaluation/metrics.json runs/evaluation/test_predictions.npz runs/evaluation/samples.png "$W/"
python scripts/write_model_card.py runs/evaluation/metrics.json "$first/classifier_report.json" \
    "$last/classifier_report.json" runs/generator/generator_report.json
