# Two commands do everything: `make demo` and `make test`. Both set up what they need first.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# jsii's end-of-life banner for the Node major version in use (quiet on any Node).
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := $(shell node -p 'process.versions.node.split(".")[0]' 2>/dev/null)

.PHONY: demo test lint synth clean

$(BIN)/.installed: pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit("Python >= 3.11 is needed" if sys.version_info < (3, 11) else 0)'
	@echo "installing the Python packages into $(VENV) with pip (aws-cdk-lib, moto, boto3, pytest, ...; usually 1-2 minutes the first time) …"
	@$(PYTHON) -m venv $(VENV)
	@$(BIN)/python -m pip install --quiet --upgrade pip
	@$(BIN)/python -m pip install --quiet -e ".[dev]"
	@touch $@

# The pinned Node tools (package.json: the CDK CLI and the local runner's IAM evaluator), installed
# by whatever needs them with a line saying so (endpointctl too: endpointctl/node_tools.py).
CDK_VERSION := $(shell sed -n 's/.*"aws-cdk": *"\([^"]*\)".*/\1/p' package.json)
IAM_VERSION := $(shell sed -n 's/.*"@cloud-copilot\/iam-simulate": *"\([^"]*\)".*/\1/p' package.json)
node_modules/.installed: package.json package-lock.json
	@echo "installing the pinned Node tools (aws-cdk $(CDK_VERSION), @cloud-copilot/iam-simulate $(IAM_VERSION)) with npm ci …"
	@npm ci --no-audit --no-fund --loglevel=error > /dev/null
	@touch $@

## make demo: set up, then run `endpointctl local demo` (no AWS account needed)
demo: $(BIN)/.installed node_modules/.installed
	$(BIN)/endpointctl local demo

## make test: set up, then lint, type-check and run every test
test: $(BIN)/.installed node_modules/.installed lint
	$(BIN)/pytest -n 2 --durations=10

lint: $(BIN)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check functions infra endpointctl app.py
	$(BIN)/mypy

## make synth: the CloudFormation template in cdk.out/, as the pinned CDK CLI writes it
synth: $(BIN)/.installed node_modules/.installed
	PATH="$(CURDIR)/$(BIN):$$PATH" node_modules/.bin/cdk synth --quiet

clean:
	rm -rf $(VENV) node_modules cdk.out .endpointctl-cache .pytest_cache .mypy_cache .ruff_cache
