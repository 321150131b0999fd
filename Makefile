# Two commands matter: `make run` (the local stack) and `make test` (every test).
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
AWS_PORT ?= 5000
API_PORT ?= 8000
export PYTHONPATH := $(CURDIR)

.PHONY: install run token test bench reconcile package clean

$(VENV)/.installed: requirements.txt requirements-dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed

run: install  ## local stack: moto + table + Cognito + demo data + chalice local
	$(PY) -m dev.run --aws-port $(AWS_PORT) --api-port $(API_PORT)

token:  ## print an ID token for SUB (with GROUPS) from the running local stack
	@$(PY) -m dev.issue_token "$(SUB)" "$(GROUPS)"

test: install  ## every test: unit, integration (moto) and end-to-end (HTTP)
	$(PY) -m pytest

bench: install  ## benchmarks: table on stdout, JSON in bench/results/
	$(PY) -m bench.run

reconcile:  ## recompute every wallet of the running local stack from its entries
	@$(PY) -m dev.reconcile

package: install  ## the Lambda bundle, as `chalice package` builds it
	$(PY) -m dev.package prod .local/package

clean:
	rm -rf $(VENV) .local .pytest_cache
