"""Export weights from the running training checkpoints into ganbias_helpers/weights (development only)."""

import copy
import hashlib
from pathlib import Path

import torch

from ganbias_helpers.models import Classifier, Generator
from ganbias_helpers.training import recalibrate_batchnorm

W = Path("ganbias_helpers/weights")
c = torch.load("runs/classifier/classifier_checkpoint.pt", map_location="cpu", weights_only=False)
clf = Classifier(n_classes=40)
clf.load_state_dict(c["model"])
torch.save({"classifier": clf.state_dict()}, W / "pretrained_classifier.pth")
g = torch.load("runs/generator/generator_checkpoint.pt", map_location="cpu", weights_only=False)
gen = Generator(64)
gen.load_state_dict(g["ema"])
recalibrate_batchnorm(gen)
torch.save({"gen": gen.state_dict()}, W / "pretrained_celeba.pth")
lines = [f"{hashlib.sha256((W / n).read_bytes()).hexdigest()}  {n}" for n in ("pretrained_celeba.pth", "pretrained_classifier.pth")]
(W / "SHA256SUMS").write_text("\n".join(lines) + "\n")
print("exported classifier step", c["step"], "generator step", g["step"])
