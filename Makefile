# Two commands for a fresh machine with only Python and make:
#   make demo   set up .venv and run a whole reporting round on localhost
#   make test   set up .venv and run the linters and the test suite
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint bench protos clean

$(STAMP): pyproject.toml deploy/install.sh
	PYTHON=$(PYTHON) sh deploy/install.sh --dev $(VENV)
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/guanai demo

test: $(STAMP) lint
	$(BIN)/pytest -q

lint: $(STAMP)
	$(BIN)/ruff check .

bench: $(STAMP)
	$(BIN)/python bench/node_release.py
	$(BIN)/python bench/submit_throughput.py
	$(BIN)/python bench/intake_checks.py
	$(BIN)/python bench/secure_delete.py
	$(BIN)/python bench/verify_bundle.py
	$(BIN)/python bench/warnings_precision.py
	$(BIN)/python bench/secure_aggregation.py
	$(BIN)/python bench/figures_store.py
	$(BIN)/python bench/node_web.py
	$(BIN)/python bench/bureau_web.py
	$(BIN)/python bench/official_speed.py

protos: $(STAMP)
	$(BIN)/python -m protos.codegen

clean:
	rm -rf $(VENV) demo-out bench-out
