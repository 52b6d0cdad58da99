# Two commands do all set-up on a fresh machine with Python 3.11: `make dev` and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: dev test lint bench browser clean

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

## make dev: embedded PostgreSQL + Temporal dev server + worker + web, with demo users.
dev: $(STAMP)
	$(PY) scripts/dev.py

## Debian's chromium for the browser suite (CI runs as root; no browser download exists here).
browser:
	@command -v chromium >/dev/null 2>&1 || [ -x /usr/bin/chromium ] || \
	  { if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	    else echo "browser tests need chromium: sudo apt-get install -y chromium" >&2; fi; }

## make test: the whole suite on a real Temporal dev server and real PostgreSQL.
test: $(STAMP) browser
	$(PY) -m pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(VENV)/bin/ruff check .

## make bench: benchmarks; results land in bench/results/.
bench: $(STAMP)
	$(PY) bench/run.py

clean:
	rm -rf $(VENV) .data
