# Two commands do all the set-up on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
CHECKOV_VENV := $(VENV)/tools/checkov
TEMPLATE := src/messaging/infra/infra.yaml

.PHONY: run test lint typecheck iac unit bench conformance clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade "pip>=24"
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

## run: the main job, a simulation on the embedded local cloud (about a minute)
run: $(STAMP)
	$(BIN)/messaging simulate --report-json out/report.json --chart out/simulation.png

## test: lint, types, IaC checks and the whole test suite
test: lint typecheck iac
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

unit: $(STAMP)
	$(BIN)/pytest tests/unit

## conformance: moto's own tests (sqs sns firehose dynamodb s3 cloudformation), stock and
## with our plug-ins, compared per test id against tests/conformance/deviations.toml
conformance: $(VENV)/.conformance-stamp
	$(BIN)/python -m tests.conformance.run

$(VENV)/.conformance-stamp: requirements/conformance.txt | $(STAMP)
	$(BIN)/python -m pip install --quiet -r requirements/conformance.txt
	touch $@

## bench: every figure of the performance issue, in one run (about 4 minutes)
bench: $(STAMP)
	$(BIN)/python bench/sqs_backlog.py
	$(BIN)/python bench/requests_per_event.py
	$(BIN)/python bench/request_rate.py
	$(BIN)/python bench/throughput.py --events 3000

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache .hypothesis
