# swarm-stake: every target sets up what it needs (stamp files in .tools/ make re-runs free).
SHELL := /bin/bash
.DEFAULT_GOAL := help

ROOT  := $(abspath .)
TOOLS := $(ROOT)/.tools
VENV  := $(ROOT)/.venv
PYTHON ?= $(shell command -v python3.11 || command -v python3)
SOLC_VERSION := 0.8.37
FOUNDRY_PLATFORM := linux-$(shell uname -m | sed -e 's/x86_64/amd64/' -e 's/aarch64/arm64/')

# All tool state stays inside the project folder.
export PATH := $(TOOLS)/bin:$(VENV)/bin:$(PATH)
export APE_DATA_FOLDER := $(TOOLS)/ape
export SOLCX_BINARY_PATH := $(TOOLS)/solcx
export PIP_DISABLE_PIP_VERSION_CHECK := 1
export NPM_CONFIG_CACHE := $(TOOLS)/npm-cache
export PYTHONDONTWRITEBYTECODE := 1

CONTRACT_SOURCES := $(shell find contracts -name '*.sol' -not -path 'contracts/.cache/*')

.PHONY: help setup compile artifacts test test-contracts test-python slither demo bench lock clean coverage-contracts mutate

help:
	@echo "make demo   run the end-to-end demo on an embedded anvil chain"
	@echo "make test   run the whole test suite"
	@echo "make bench  measure gas per operation (writes bench-results.json)"
	@echo "make fuzz   a long stateful-fuzzing campaign (FUZZ_STEPS=50000, a random seed it prints)"
	@echo "make chaos  50+ SIGKILLs of three oracle daemons while failures are recovered (CHAOS_SEED=<seed> replays)"
	@echo "make slither  static analysis of the contracts (part of make test)"
	@echo "make artifacts  regenerate the ABIs shipped in swarm_stake/artifacts"
	@echo "make coverage-contracts  function and branch coverage of the contracts (docs/COVERAGE.md)"
	@echo "make mutate  mutation campaign over the contracts (slither-mutate; docs/COVERAGE.md)"

setup: $(TOOLS)/npm.stamp $(TOOLS)/venv.stamp $(TOOLS)/solc.stamp

$(TOOLS)/npm.stamp: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	mkdir -p $(TOOLS)/bin
	ln -sf $(ROOT)/node_modules/@foundry-rs/anvil-$(FOUNDRY_PLATFORM)/bin/anvil $(TOOLS)/bin/anvil
	ln -sf $(ROOT)/node_modules/@foundry-rs/cast-$(FOUNDRY_PLATFORM)/bin/cast $(TOOLS)/bin/cast
	$(TOOLS)/bin/anvil --version >/dev/null
	touch $@

# solc-select (a dependency of slither's crytic-compile) installs a `solc` shim that downloads
# compilers; it is removed so that nothing can pick it instead of the project's solc.
$(TOOLS)/venv.stamp: requirements.lock pyproject.toml
	test -x $(VENV)/bin/python || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/python -m pip install --quiet --no-deps -r requirements.lock
	rm -f $(VENV)/bin/solc
	$(VENV)/bin/python -m pip install --quiet --no-deps --no-build-isolation -e .
	$(VENV)/bin/python -m pip check
	mkdir -p $(TOOLS) && touch $@

# A solc-compatible command on solc-js, on PATH and where py-solc-x / ape-solidity look for it.
$(TOOLS)/solc.stamp: $(TOOLS)/npm.stamp tools/solc.js
	mkdir -p $(TOOLS)/bin $(SOLCX_BINARY_PATH)
	ln -sf $(ROOT)/tools/solc.js $(TOOLS)/bin/solc
	ln -sf $(ROOT)/tools/solc.js $(SOLCX_BINARY_PATH)/solc-v$(SOLC_VERSION)
	$(TOOLS)/bin/solc --version | grep -q "Version: $(SOLC_VERSION)"
	touch $@

compile: $(TOOLS)/compile.stamp
$(TOOLS)/compile.stamp: $(TOOLS)/solc.stamp $(TOOLS)/venv.stamp ape-config.yaml $(CONTRACT_SOURCES)
	ape compile --force
	touch $@

# A full compile: Ape's incremental compile can keep a contract whose imported interface changed
# (its metadata hash, part of the bytecode, covers every imported source).
artifacts: $(TOOLS)/solc.stamp $(TOOLS)/venv.stamp
	ape compile --force
	touch $(TOOLS)/compile.stamp
	python scripts/export_artifacts.py

# Static analysis first (re-run only when a contract or the triage changes), then the suite with
# line and branch coverage of the Python package, subprocesses included ([tool.coverage] in pyproject.toml).
# Each run collects into its own data files (runs may overlap); the combined data ends in .coverage.
# `make test COV_ARGS=` runs the suite without coverage.
COV_ARGS ?= --cov=swarm_stake --cov-branch --cov-report=term
test: setup $(TOOLS)/slither.stamp $(TOOLS)/compile.stamp
	export COVERAGE_FILE=$(ROOT)/.coverage.run$$$$; \
	ape test tests --network ethereum:local:foundry -p no:cacheprovider $(COV_ARGS) $(PYTEST_ARGS); \
	status=$$?; mv -f $$COVERAGE_FILE $(ROOT)/.coverage 2>/dev/null; exit $$status

# Slither on contracts/: fails on any finding neither fixed nor explained in slither.triage.json
# (settings in slither.config.json, reasons in docs/slither-triage.md).
SLITHER_INPUTS := $(CONTRACT_SOURCES) slither.config.json slither.triage.json scripts/slither_check.py
slither: setup
	python scripts/slither_check.py
	touch $(TOOLS)/slither.stamp
$(TOOLS)/slither.stamp: $(TOOLS)/npm.stamp $(TOOLS)/venv.stamp $(TOOLS)/solc.stamp $(SLITHER_INPUTS)
	python scripts/slither_check.py
	touch $@

# Function and branch coverage of the contracts, measured from anvil's execution traces of the
# contract tests (the recorder is an opt-in pytest plugin; method in docs/COVERAGE.md).
COVERAGE_TESTS ?= tests/test_stake_manager_*.py tests/test_committee_*.py tests/test_verdicts_*.py \
  tests/test_appeal_*.py tests/test_recovery_*.py tests/test_escrow_*.py tests/test_governance.py \
  tests/test_incident_lifecycle.py tests/test_core_attacks.py
coverage-contracts: setup $(TOOLS)/compile.stamp
	rm -f $(TOOLS)/contract-coverage.json
	SWARM_STAKE_CONTRACT_COVERAGE=$(TOOLS)/contract-coverage.json PYTHONPATH=$(ROOT)/scripts \
	  ape test $(COVERAGE_TESTS) --network ethereum:local:foundry -p no:cacheprovider -p contract_coverage_plugin -q; \
	  status=$$?; python scripts/contract_coverage.py $(TOOLS)/contract-coverage.json $(COVERAGE_ARGS) && exit $$status

# Mutation campaign: slither-mutate on a scratch copy of the project, each contract against the
# tests of its entry points (scripts/mutate.py). Long: narrow it with MUTATE_CONTRACTS / MUTATORS.
MUTATE_CONTRACTS ?= StakeManager,OracleCommittee,VerdictManager,AppealCourt,RecoveryEscrow
MUTATORS ?=
MUTATE_TIMEOUT ?= 300
mutate: setup $(TOOLS)/compile.stamp
	python scripts/mutate.py --contracts $(MUTATE_CONTRACTS) $(if $(MUTATORS),--mutators $(MUTATORS)) \
	  --timeout $(MUTATE_TIMEOUT) --json $(TOOLS)/mutation-results.json

demo: setup
	swarm-stake demo

bench: setup $(TOOLS)/compile.stamp
	python scripts/bench.py

# A long stateful-fuzzing campaign of tests/test_invariants.py (make test runs 2,000 derandomized
# steps) with a fresh seed, printed first: SWARM_STAKE_FUZZ_SEED=<seed> make fuzz replays it.
.PHONY: fuzz
FUZZ_STEPS ?= 100000
fuzz: setup $(TOOLS)/compile.stamp
	seed=$${SWARM_STAKE_FUZZ_SEED:-$$RANDOM$$RANDOM}; echo "fuzz: $(FUZZ_STEPS) steps, seed $$seed"; \
	SWARM_STAKE_FUZZ_SEED=$$seed SWARM_STAKE_FUZZ_STEPS=$(FUZZ_STEPS) ape test tests/test_invariants.py \
	  --network ethereum:local:foundry -p no:cacheprovider -s --tb=short $(PYTEST_ARGS)

# Three `oracle run` processes killed at random while failures are injected and carried to release;
# prints its seed first (CHAOS_SEED=<seed> replays its decisions) and exits non-zero on any violation.
.PHONY: chaos
chaos: setup
	python -m swarm_stake.oracle.chaos $(if $(CHAOS_SEED),--seed $(CHAOS_SEED)) $(CHAOS_ARGS)

lock: $(TOOLS)/venv.stamp
	(echo "# Every Python package of the project's virtualenv, pinned exactly (regenerate: make lock)."; \
	 $(VENV)/bin/python -m pip freeze --all --exclude-editable | grep -v -E '^(pip|swarm-stake)==') > requirements.lock

clean:
	rm -rf .build contracts/.cache $(TOOLS)/compile.stamp
