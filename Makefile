# Two commands do all the set-up on a fresh machine: `make run` and `make test`.
# Both install exact versions from the lock files in requirements/ (`make lock` writes
# them from pyproject.toml with uv): `make run` only what the main job needs (the core and
# the `local` and `chart` extras), `make test` everything, dev tools included.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
UV     := $(BIN)/uv
STAMP  := $(VENV)/.installed-stamp
RUN_STAMP := $(VENV)/.run-stamp
CHECKOV_VENV := $(VENV)/tools/checkov
TEMPLATE := src/messaging/infra/infra.yaml
WHEELS := $(VENV)/lambda-wheels
LOCK   := $(UV) pip compile pyproject.toml --universal --python-version 3.11 --quiet

.PHONY: run test test-exhaustive lint typecheck iac unit chaos bench bench-max lock conformance clean

# Every installed module is compiled to bytecode once, here (uv's --compile-bytecode, and
# compileall for src/). Python would otherwise compile what it imports on every start where
# PYTHONDONTWRITEBYTECODE is set, as on this project's machines: each CLI command, each
# `messaging up`, each test's subprocess paid 1 to 3 s of CPU for it, and `make test` 29%
# of its CPU. A source file edited later is compiled again in memory, as before.
COMPILE_SRC := $(BIN)/python -m compileall -q -j 0 src

# uv installs the locked versions in seconds (pip took minutes); it is pinned too.
$(UV): requirements/uv.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements/uv.txt
	touch $(UV)

# The main job's environment: no linters, type checkers or test tools.
$(RUN_STAMP): pyproject.toml requirements/run.txt | $(UV)
	$(UV) pip install --quiet --compile-bytecode --python $(BIN)/python -r requirements/run.txt
	$(UV) pip install --quiet --python $(BIN)/python --no-deps -e .
	$(COMPILE_SRC)
	touch $(RUN_STAMP)

# Everything: the run environment plus every extra and the dev tools (a superset of it,
# with the same versions), so it counts as installed for `make run` too.
$(STAMP): pyproject.toml requirements/dev.txt | $(UV)
	$(UV) pip install --quiet --compile-bytecode --python $(BIN)/python -r requirements/dev.txt
	$(UV) pip install --quiet --python $(BIN)/python --no-deps -e .
	$(COMPILE_SRC)
	touch $(STAMP) $(RUN_STAMP)

# The Lambda functions' wheels, downloaded once (for the template's runtime, and for this
# machine so the tests can run the artifact here): deploys and tests then build the
# function artifact offline (`messaging deploy` finds $(WHEELS) by itself).
$(WHEELS)/.fetched: $(TEMPLATE) | $(RUN_STAMP)
	$(BIN)/messaging package --wheelhouse $(WHEELS) --fetch-only
	$(BIN)/messaging package --wheelhouse $(WHEELS) --fetch-only --for-this-machine
	touch $@

## run: the main job, a simulation on the embedded local cloud (its functions on Lambda)
run: $(RUN_STAMP) $(WHEELS)/.fetched
	$(BIN)/messaging simulate --report-json out/report.json --chart out/simulation.png

## lock: write requirements/dev.txt and run.txt from pyproject.toml (keeps current pins;
## `make lock UPGRADE=--upgrade` takes the newest versions the ranges allow)
lock: | $(UV)
	$(LOCK) $(UPGRADE) --extra dev -o requirements/dev.txt
	$(LOCK) --extra local --extra chart -c requirements/dev.txt -o requirements/run.txt

## test: lint, types, IaC checks and the whole test suite
test: lint typecheck iac $(WHEELS)/.fetched
	$(BIN)/pytest -n 2 --dist loadfile

## test-exhaustive: slow, thorough checks left out of `make test` (every extra's message
## and the template shipped in the built wheel; about 20 s)
test-exhaustive: $(STAMP)
	$(BIN)/pytest -n 2 --dist loadfile -m exhaustive

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

## conformance: moto's own tests (sqs sns firehose dynamodb s3 cloudformation logs), stock and
## with our plug-ins, compared per test id against tests/conformance/deviations.toml
conformance: $(VENV)/.conformance-stamp
	$(BIN)/python -m tests.conformance.run

$(VENV)/.conformance-stamp: requirements/conformance.txt | $(STAMP)
	$(UV) pip install --quiet --python $(BIN)/python -r requirements/conformance.txt
	touch $@

## bench: every figure of the performance issue, in one run (about 10 minutes)
bench: $(STAMP) $(WHEELS)/.fetched
	$(BIN)/python bench/sqs_backlog.py
	$(BIN)/python bench/requests_per_event.py
	$(BIN)/python bench/request_rate.py
	$(BIN)/python bench/protocol_layer.py
	$(BIN)/python bench/cheaper_events.py
	$(BIN)/python bench/full_collections.py
	$(BIN)/python bench/log_search.py
	$(BIN)/python bench/throughput.py --events 3000
	$(BIN)/python bench/hosting.py

## bench-max: the highest rate at which simulate's queues do not grow (issue #21; minutes)
bench-max: $(STAMP) $(WHEELS)/.fetched
	$(BIN)/python bench/simulate_phase.py

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache .hypothesis
