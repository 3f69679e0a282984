# Two commands for a fresh machine: `make run` and `make test` (each sets up .venv if needed).
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
AXE    := tests/js/node_modules/axe-core/axe.min.js
ARGS   ?=

.PHONY: run test bench viz lint docs install clean

run: $(STAMP)  ## set up, run the built-in labor-2011 scenario, print the result
	$(VENV)/bin/runoff run labor-2011 $(ARGS)

test: $(STAMP) $(AXE)  ## set up, run the full test suite
	$(PY) -m pytest $(ARGS)

viz: $(STAMP)  ## start the app on http://127.0.0.1:8765 (offline); ARGS="--host 0.0.0.0" for a class
	$(VENV)/bin/runoff viz $(ARGS)

bench: $(STAMP)  ## benchmark table (10k, 66,310, 250k, 1M members) and benchmarks/results.json
	$(PY) -m benchmarks $(ARGS)

docs: $(STAMP)  ## regenerate every command output quoted in README.md and docs/*.md
	$(PY) docs/generate.py

lint: $(STAMP)  ## ruff (style, imports, docstrings) and mypy (types) on the package; CI runs it
	$(VENV)/bin/ruff check .
	$(PY) tests/typecheck.py

install: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache

$(AXE): tests/js/package-lock.json  ## axe-core for the browser tests' accessibility check (needs npm)
	@if command -v npm > /dev/null; then npm ci --prefix tests/js --no-audit --no-fund --loglevel=error; \
	else echo "make: npm not found: the accessibility check will be skipped (apt-get install -y npm)"; fi

