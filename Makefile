# Two commands do all set-up on a fresh machine with Python 3.11: `make dev` and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: dev test lint bench chaos serve browser tls-proxy clean

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

## Debian's nginx: tests/test_tls.py puts it in front of the dev server as a TLS + API-key proxy.
tls-proxy:
	@command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || \
	  { if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx >/dev/null; \
	    else echo "the TLS test needs nginx: sudo apt-get install -y nginx" >&2; fi; }

## make test: the whole suite on a real Temporal dev server and real PostgreSQL.
test: $(STAMP) browser tls-proxy
	$(PY) -m pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(VENV)/bin/ruff check .

## make bench: benchmarks; results land in bench/results/.
bench: $(STAMP)
	$(PY) bench/run.py
	$(PY) bench/scale.py
	$(PY) bench/waiting.py
	$(PY) bench/revision.py
	$(PY) bench/streaming.py
	$(PY) bench/checks.py
	$(PY) bench/insights.py

## make serve: production mode against your DATABASE_URL and Temporal (nothing embedded):
## migrate, collectstatic, gunicorn and the review + LLM workers (docs/deploy.md).
serve: $(STAMP)
	$(PY) scripts/serve.py

## make chaos: the fault suite on its own stack; table in bench/results/chaos.md.
chaos: $(STAMP)
	$(PY) scripts/chaos.py $(CHAOS_ARGS)

clean:
	rm -rf $(VENV) .data
