# Two commands do all the set-up on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
CHECKOV_VENV := $(VENV)/tools/checkov
TEMPLATE := src/messaging/infra/infra.yaml
WHEELS := $(VENV)/lambda-wheels

.PHONY: run test lint typecheck iac unit chaos bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade "pip>=24"
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

# The Lambda functions' wheels, downloaded once (for the template's runtime, and for this
# machine so the tests can run the artifact here): deploys and tests then build the
# function artifact offline (`messaging deploy` finds $(WHEELS) by itself).
$(WHEELS)/.fetched: $(STAMP) $(TEMPLATE)
	$(BIN)/messaging package --wheelhouse $(WHEELS) --fetch-only
	$(BIN)/messaging package --wheelhouse $(WHEELS) --fetch-only --for-this-machine
	touch $@

## run: the main job, a simulation on the embedded local cloud (about a minute)
run: $(STAMP) $(WHEELS)/.fetched
	$(BIN)/messaging simulate --report-json out/report.json --chart out/simulation.png

## test: lint, types, IaC checks and the whole test suite
test: lint typecheck iac $(WHEELS)/.fetched
	$(BIN)/pytest -n 2 --dist loadfile

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

# checkov pins its own boto3; it lives in a venv of its own, linked into .venv/bin.
$(BIN)/checkov: requirements/checkov.txt | $(STAMP)
	test -x $(CHECKOV_VENV)/bin/python || $(PYTHON) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/python -m pip install --quiet -r requirements/checkov.txt
	ln -sf $(abspath $(CHECKOV_VENV))/bin/checkov $(BIN)/checkov

iac: $(STAMP) $(BIN)/checkov
	$(BIN)/cfn-lint $(TEMPLATE)
	$(BIN)/checkov -f $(TEMPLATE) --compact --quiet --skip-download

unit: $(STAMP) $(WHEELS)/.fetched
	$(BIN)/pytest tests/unit

## chaos: the chaos suite at full size, 10,000 events through faults and kills (about 3 minutes)
chaos: $(STAMP)
	MESSAGING_CHAOS_EVENTS=10000 $(BIN)/pytest -m chaos

## bench: every figure of the performance issue, in one run (about 4 minutes)
bench: $(STAMP) $(WHEELS)/.fetched
	$(BIN)/python bench/sqs_backlog.py
	$(BIN)/python bench/requests_per_event.py
	$(BIN)/python bench/request_rate.py
	$(BIN)/python bench/throughput.py --events 3000
	$(BIN)/python bench/hosting.py

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache .hypothesis
