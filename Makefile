# `make demo` and `make test` do all the set-up on a fresh machine (Python >= 3.10, gcloud's
# Pub/Sub emulator and jq installed); nothing else needs to be run first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)

.PHONY: install demo demo-query test lint bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --disable-pip-version-check -U pip
	$(BIN)/python -m pip install -q --disable-pip-version-check -e '.[test]'
	rm -f $(VENV)/.installed-*
	touch $@

install: $(STAMP)

# The local Pub/Sub emulator publishing the shipped real ZTF alerts in a loop (like
# Pitt-Google's ztf-loop topic), pgb creating its subscription and pulling 100 of them.
# --int64-as-string: jq 1.6 (Debian 12's) would print candid rounded.
demo: $(STAMP)
	@command -v jq >/dev/null || { echo "make demo: needs jq (apt-get install jq)"; exit 1; }
	$(BIN)/python -m pittgoogle_cli.emulator run --publish tests/data/ztf --loop 50 -- \
	  sh -c '$(BIN)/pgb pull ztf-loop --max 100 --int64-as-string | jq -c "{objectId, candid, mag: .candidate.magpsf}"'

# pgb query on the BigQuery emulator (installed into .bqvenv on first use) holding
# Pitt-Google's ztf.alerts_v4_02 table filled with the shipped alerts.
demo-query: $(STAMP)
	$(BIN)/python -m tests.query.bqemu -- $(BIN)/pgb query --objectId ZTF17aaarzyp

lint: $(STAMP)
	$(BIN)/ruff check pittgoogle_cli tests bench
	$(BIN)/ruff format --check pittgoogle_cli tests bench
	$(BIN)/mypy
	$(BIN)/lint-imports --no-cache

test: lint
	$(BIN)/pytest

bench: $(STAMP)
	$(BIN)/python -m pip install -q --disable-pip-version-check -e '.[bench]'
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
