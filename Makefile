# Two entry points for a fresh machine:  `make demo`  and  `make test`.
# Both create .venv, install ferryman with its test extras, and install the system tools the
# tests use (GenomeTools' gt, OpenSSH's sshd and ssh, Chromium) with apt-get when they are missing.

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin

.PHONY: setup system-tools demo test lint bench clean

$(BIN)/ferryman: pyproject.toml setup.py runtime/gff/_scan.c runtime/_spawn.c
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	@touch $@

system-tools:
	@bash .ci/install-system-tools

setup: $(BIN)/ferryman system-tools

demo: setup
	cd samples && ../$(BIN)/ferryman validate
	cd samples && ../$(BIN)/ferryman plan --out .ferryman/plan.json
	cd samples && ../$(BIN)/python demo.py

lint: setup
	$(BIN)/ruff check ferryman compiler runtime tests benchmarks
	$(BIN)/mypy -p ferryman

test: setup lint
	$(BIN)/pytest -q

bench: setup
	$(BIN)/python benchmarks/validate_bench.py
	$(BIN)/python benchmarks/plan_bench.py
	$(BIN)/python benchmarks/scheduler_bench.py
	$(BIN)/python benchmarks/pipe_bench.py
	$(BIN)/python benchmarks/gff_bench.py
	$(BIN)/python benchmarks/ndex_bench.py

clean:
	rm -rf $(VENV) build dist *.egg-info samples/.ferryman samples/.ferryman-cluster samples/plan.json samples/Snakefile samples/.snakemake
