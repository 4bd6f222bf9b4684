# Everything a newcomer needs, one target each. `make help` lists them.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
CELEBA ?= ../shared/celeba64
THREADS ?= 1
# Test workers (pytest-xdist): one per core of the 2-core machines this suite is measured on.
JOBS ?= 2

.PHONY: help install demo test test-fast lint notebooks agreement benchmark check-bundle train-classifier train-generator evaluate clean

help:  ## list the targets
	@grep -E '^[a-z-]+:.*##' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-17s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)  ## create .venv with the package, the course tools and the test tools

demo: $(STAMP)  ## the main job: steer the shipped generator toward "Male" and rank what covaries
	$(BIN)/ganbias demo

test: $(STAMP)  ## the whole test suite (CPU only, no CelebA needed)
	$(BIN)/python -m pytest -n $(JOBS) --dist loadfile --no-loadscope-reorder

test-fast: $(STAMP)  ## the edit-test loop: the package, the grader's judging, the notebooks' structure (no slow tests)
	$(BIN)/python -m pytest -n $(JOBS) --dist loadfile --no-loadscope-reorder -m "not slow"

lint: $(STAMP)  ## ruff over the package, the grader, tests, benchmarks and scripts
	$(BIN)/ruff check ganbias_helpers autograder tests benchmarks scripts

notebooks: $(STAMP)  ## regenerate the student release notebooks/ from solutions/ (and the grader's cell table)
	$(BIN)/nbgrader generate_assignment ganbias --force --no-db
	$(BIN)/python scripts/course_cells.py

agreement: $(STAMP)  ## every corpus answer through real nbgrader autograde and ganbias grade: disagreements (bar: none)
	$(BIN)/python scripts/agreement.py

benchmark: $(STAMP)  ## reference steering loop vs ours: time, memory and ratio
	$(BIN)/python benchmarks/steering_benchmark.py

check-bundle: $(STAMP)  ## the Gradescope bundle's setup.sh in a fresh venv, then grade the solutions with it (network)
	bash scripts/check_bundle_setup.sh

train-classifier: $(STAMP)  ## train the classifier as shipped (CELEBA=folder); rerun to resume
	$(BIN)/ganbias train classifier --data $(CELEBA) --out runs/classifier_long --epochs 24 --ema 0.999 --seed 2

train-generator: $(STAMP)  ## the shipped generator's last run, v6 (CELEBA=folder, THREADS=2 on a quiet machine; docs/generator_training.md); rerun to resume
	$(BIN)/ganbias train generator --data $(CELEBA) --out runs/generator_v6 --carry training_state/generator_v6.pt \
	    --init-from training_state/generator_v5.pt --attr-weight 50 --attr-warmup 250 --attr-target critic \
	    --attr-guide training_state/guides/guide_v6.pth --attr-sharpness 5 \
	    --threads $(THREADS) --steps 20000 --lr-gen 0.0001 --lr-critic 0.0004 --betas 0.0 0.9 \
	    --diffaug translation,cutout --mbstd-group 4 --ema-warmup --precision auto \
	    --checkpoint-every 25 --sample-every 1000 --eval-every 250 --snapshot-every 500

evaluate: $(STAMP)  ## measure the shipped weights on CelebA's test split
	$(BIN)/ganbias evaluate --data $(CELEBA) --out runs/evaluation

clean:  ## remove the virtual environment and caches (keeps runs/)
	rm -rf $(VENV) .pytest_cache .ruff_cache *.egg-info
