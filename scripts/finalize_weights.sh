#!/usr/bin/env bash
# Turn finished training runs into the shipped weights, measured on the test split, with their model card.
#   scripts/finalize_weights.sh CELEBA_DIR GENERATOR_STEPS
# GENERATOR_STEPS: the step of runs/generator's checkpoint to ship (the command below exports it without training).
set -euo pipefail
data=${1:?CelebA folder}; steps=${2:?generator steps}
W=ganbias_helpers/weights
ganbias train generator --data "$data" --out runs/generator --steps "$steps"
cp runs/generator/pretrained_celeba.pth runs/classifier_ft/pretrained_classifier.pth "$W/"
(cd "$W" && sha256sum pretrained_celeba.pth pretrained_classifier.pth > SHA256SUMS)
ganbias evaluate --data "$data" --out runs/evaluation
cp runs/evaluation/metrics.json runs/evaluation/test_predictions.npz runs/evaluation/samples.png "$W/"
python scripts/write_model_card.py runs/evaluation/metrics.json runs/classifier/classifier_report.json \
    runs/classifier_ft/classifier_report.json runs/generator/generator_report.json
