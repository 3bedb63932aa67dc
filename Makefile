# `make demo` and `make test` do all the set-up on a fresh machine (Python >= 3.10, gcloud's
# Pub/Sub emulator and jq installed); nothing else needs to be run first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)
# The TOM Toolkit integration's venv: pgb with its [tom] extra, as a TOM operator installs it.
TOMVENV := .tomvenv
TOMSTAMP := $(TOMVENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)
BOOTSTRAP := 5.3.8
# pytest-xdist workers for the main suite: each starts its own emulators (a JVM each).
TEST_WORKERS ?= 2
# tomtoolkit's own dependencies warn of Django 6 and astroquery changes (not ours to fix).
TOM_PYTEST := -p pytest_django --ds=tests.tom.settings \
  -W "ignore:CheckConstraint.check is deprecated" \
  -W "ignore:the \`\`ned\`\` module has been moved" \
  -W "ignore:The default scheme will be changed"

.PHONY: install demo demo-query demo-tom test lint bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --disable-pip-version-check -U pip
	$(BIN)/python -m pip install -q --disable-pip-version-check -e '.[test]'
	rm -f $(VENV)/.installed-*
	touch $@

install: $(STAMP)

$(TOMSTAMP): pyproject.toml
	test -x $(TOMVENV)/bin/python || $(PYTHON) -m venv $(TOMVENV)
	$(TOMVENV)/bin/python -m pip install -q --disable-pip-version-check -U pip
	$(TOMVENV)/bin/python -m pip install -q --disable-pip-version-check -e '.[test,tom]' \
	  'pytest-django>=4.8,<5' 'playwright>=1.50,<2'
	# Bootstrap served by the throwaway TOM itself (django-bootstrap5 links a CDN, which a
	# closed network, the browser test's, never reaches): from the npm registry, if npm is here.
	if command -v npm >/dev/null; then \
	  d=$(TOMVENV)/share/pgb-tom-static/bootstrap && mkdir -p $$d && \
	  npm pack --silent --pack-destination $$d bootstrap@$(BOOTSTRAP) >/dev/null && \
	  tar xzf $$d/bootstrap-$(BOOTSTRAP).tgz -C $$d --strip-components=3 \
	    package/dist/css/bootstrap.min.css package/dist/js/bootstrap.bundle.min.js && \
	  rm $$d/bootstrap-$(BOOTSTRAP).tgz; fi
	rm -f $(TOMVENV)/.installed-*
	touch $@

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

# A throwaway TOM (TOM Toolkit 3, sqlite) on http://127.0.0.1:8000 with Pitt-Google's app,
# both emulators fed the shipped alerts; prints the login. Ctrl-C stops everything.
demo-tom: $(TOMSTAMP)
	$(TOMVENV)/bin/python -m tests.tom.demo

lint: $(STAMP)
	$(BIN)/ruff check pittgoogle_cli tests bench
	$(BIN)/ruff format --check pittgoogle_cli tests bench
	$(BIN)/mypy
	$(BIN)/lint-imports --no-cache

# The TOM's tests run beside the main suite (each starts its own emulators): both mostly
# wait on emulators and subprocesses, so on 2 cores this saves their ~80 s. Their output
# follows the main suite's; either failing fails the target. pgb's bytecode is written first,
# as pip writes an installed wheel's: where PYTHONDONTWRITEBYTECODE is set, every pgb the
# tests start would compile its modules again.
test: lint $(TOMSTAMP)
	@$(BIN)/python -m compileall -q pittgoogle_cli
	@log=$$(mktemp); \
	$(TOMVENV)/bin/pytest $(TOM_PYTEST) tests/tom > $$log 2>&1 & tom=$$!; \
	$(BIN)/pytest -n $(TEST_WORKERS); main=$$?; \
	wait $$tom; tomrc=$$?; \
	echo "--- tests/tom (run beside the suite above)"; cat $$log; rm -f $$log; \
	test $$main -eq 0 && test $$tomrc -eq 0

bench: $(STAMP)
	$(BIN)/python -m pip install -q --disable-pip-version-check -e '.[bench]'
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) $(TOMVENV) .pytest_cache .mypy_cache .ruff_cache
