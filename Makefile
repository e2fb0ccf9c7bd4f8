# The two commands: `make demo` and `make test`. Each sets itself up on a fresh machine
# (venv, pip, Debian packages, the bitcoind build) and reuses whatever is already there.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.l2kit-installed

.PHONY: demo test bitcoind promtool venv lint bench generate clean

demo: venv bitcoind
	@$(BIN)/python -m l2kit.demo

test: venv bitcoind promtool
	$(BIN)/pytest -p no:cacheprovider $(PYTEST_ARGS)

venv: $(STAMP)

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	@touch $@

# Builds bitcoind once per version into ~/.cache/l2kit; skipped when L2KIT_BITCOIND is set.
bitcoind:
	@if [ -n "$$L2KIT_BITCOIND" ]; then echo "using L2KIT_BITCOIND=$$L2KIT_BITCOIND"; \
	else bash regtest/build-bitcoind.sh >/dev/null; fi

# promtool (alert-rule tests) and the prometheus server (the live alert test) come from
# Debian's prometheus package; both must be there.
promtool:
	@command -v promtool >/dev/null && command -v prometheus >/dev/null || { \
	  echo "installing promtool + prometheus (Debian package prometheus)"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends prometheus >/dev/null; }

lint: venv
	$(BIN)/ruff check l2kit tests benches
	$(BIN)/ruff format --check l2kit tests benches
	$(BIN)/mypy
	$(BIN)/lint-imports
	$(BIN)/python -m l2kit.render.schema --check

# Regenerates the chart's values.schema.json, values.yaml, ci/*-values.yaml and README table,
# and the README's table of component contracts.
generate: venv
	$(BIN)/python -m l2kit.render.schema
	$(BIN)/python -m l2kit.contracts

bench: venv bitcoind
	$(BIN)/python -m benches

clean:
	rm -rf $(VENV) build dist *.egg-info
