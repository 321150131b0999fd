# Two commands matter: `make run` (the local stack) and `make test` (every test).
# While editing, `make test-fast`: the unit tests and the in-process tables, under a minute.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
AWS_PORT ?= 5000
API_PORT ?= 8000
export PYTHONPATH := $(CURDIR)
# the CDK's JavaScript runtime works on this machine's Node 20 but warns at every start
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := 20
CDK_CLI ?= aws-cdk@2.1148.1
STAGE ?=
# optional deploy settings, passed to the CDK app as context (docs/architecture.md: Deployment)
CDK_CONTEXT := $(if $(REGION),--context region=$(REGION)) $(if $(ALARM_EMAIL),--context alarmEmail=$(ALARM_EMAIL)) \
	$(if $(DOMAIN),--context domainName=$(DOMAIN)) $(if $(CERT_ARN),--context certificateArn=$(CERT_ARN)) \
	$(if $(API_CONCURRENCY),--context apiConcurrency=$(API_CONCURRENCY)) $(if $(SES_SENDER),--context sesSender=$(SES_SENDER))

.PHONY: install install-infra run token sign lint test fuzz mutate test-fast bench reconcile sweep expire-bonus remind segment demo-data events package synth deploy smoke \
	destroy clean

# two stamps, so a command installs only what it runs: requirements-dev.txt (the app, chalice, moto, the test
# tools) is all that run, bench, package and the local-stack commands import; infra/requirements.txt (the CDK,
# cdk-nag: a fresh venv of 825 MB instead of 391, pip 153 s instead of 79) is added only for synth, deploy,
# destroy, smoke and the tests (tests/infra and the IAM tests import infra/stacks.py)
$(VENV)/.installed: requirements.txt requirements-dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

# both files in one pip run, so one resolution picks versions that fit both sets
$(VENV)/.installed-infra: $(VENV)/.installed infra/requirements.txt requirements-check.txt
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt -r infra/requirements.txt \
		-r requirements-check.txt
	touch $@

install: $(VENV)/.installed

install-infra: $(VENV)/.installed-infra

# the scanners (`make scan`; the checkov test of tests/infra) in a venv of their own: checkov pins its own boto3
export SCAN_VENV ?= .venv-scan
$(SCAN_VENV)/.installed: requirements-scan.txt
	test -x $(SCAN_VENV)/bin/python || $(PYTHON) -m venv $(SCAN_VENV)
	$(SCAN_VENV)/bin/python -m pip install --quiet --disable-pip-version-check -r requirements-scan.txt
	touch $@

.PHONY: install-scan scan
install-scan: $(SCAN_VENV)/.installed

# an extra prerequisite of `make test` (its recipe is below): tests/infra/test_scans.py runs checkov from the scan venv
test: $(SCAN_VENV)/.installed

scan: synth install-scan  ## checkov on the templates, bandit on the code, pip-audit on the pinned requirements
	$(PY) -m infra.scan --venv $(SCAN_VENV)

WEB_PORT ?= 8080
run: install web  ## local stack: moto + table + Cognito + demo data + chalice local + the web app (WEB_PORT)
	$(PY) -m dev.run --aws-port $(AWS_PORT) --api-port $(API_PORT) --web-port $(WEB_PORT)

# the web app's pinned libraries (web/package-lock.json) copied into web/src/vendor/: no bundler, no CDN
WEB_VENDOR := web/src/vendor/.installed
$(WEB_VENDOR): web/package.json web/package-lock.json
	npm ci --prefix web --no-audit --no-fund --loglevel=error
	mkdir -p web/src/vendor
	cp web/node_modules/htm/preact/standalone.module.js web/src/vendor/preact-htm.js
	cp web/node_modules/chart.js/dist/chart.umd.js web/src/vendor/chart.umd.js
	touch $@

.PHONY: web
web: $(WEB_VENDOR)  ## the web app's vendored libraries (npm ci in web/)

test: web

# the browser tests' Chromium (Debian's: Playwright's own download cannot reach its host) and a CJK font (without
# one every Chinese glyph renders as a box), installed with apt when missing
.PHONY: browser-deps
browser-deps:  ## chromium and fonts-wqy-microhei for the browser tests (apt, when missing)
	@pkgs=""; \
	{ [ -n "$$CHROMIUM" ] && [ -x "$$CHROMIUM" ]; } || command -v chromium >/dev/null 2>&1 || pkgs=" chromium"; \
	{ fc-list 2>/dev/null | grep -qi wqy || dpkg -s fonts-wqy-microhei >/dev/null 2>&1; } || pkgs="$$pkgs fonts-wqy-microhei"; \
	if [ -z "$$pkgs" ]; then exit 0; fi; \
	if ! command -v apt-get >/dev/null 2>&1; then \
		echo "browser-deps: the browser tests need$$pkgs and there is no apt-get here: install them with this system's package manager (CHROMIUM=/path/to/chromium when it is elsewhere than /usr/bin/chromium)" >&2; exit 1; \
	fi; \
	if [ "$$(id -u)" = 0 ]; then sudo=""; \
	elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then sudo="sudo -n"; \
	else echo "browser-deps: the browser tests need$$pkgs; not root: run  sudo apt-get update && sudo apt-get install -y --no-install-recommends$$pkgs  and make test again" >&2; exit 1; fi; \
	echo "browser-deps: apt-get install$$pkgs"; \
	$$sudo apt-get update && $$sudo apt-get install -y --no-install-recommends $$pkgs

test: browser-deps

token:  ## print an ID token for SUB (with GROUPS) from the running local stack
	@$(PY) -m dev.issue_token "$(SUB)" "$(GROUPS)"

sign:  ## print the X-Signature value of the webhook body BODY, signed with the running local stack's secret
	@$(PY) -m dev.sign_webhook "$$BODY"

lint: install-infra  ## ruff (lint and format) and mypy: the first step of make test; a finding fails it
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) -m mypy

# pytest-xdist: one worker per core; a test module is the unit of distribution (tests/conftest.py)
TEST_WORKERS ?= auto
test: install-infra lint  ## every test: unit, integration (moto) and end-to-end (HTTP), on every core
	$(PY) -m pytest -n $(TEST_WORKERS) --dist loadgroup --no-loadscope-reorder --durations=25

fuzz: install  ## schemathesis alone, deeper than in make test: 200 generated cases per operation and caller
	SCHEMATHESIS_MAX_EXAMPLES=$${SCHEMATHESIS_MAX_EXAMPLES:-200} $(PY) -m pytest tests/e2e/test_schemathesis.py \
		-p no:cacheprovider -rP

# mutmut over the domain's money modules with tests/unit ([tool.mutmut] in pyproject.toml, docs/mutation.md);
# a fresh copy each run (mutants/), MUTATE_CHILDREN workers; then the surviving share per module
MUTATE_CHILDREN ?= 2
define MUTATE_SUMMARY
import collections, sys
total, alive, unchecked = collections.Counter(), collections.Counter(), 0
for line in sys.stdin:
    name, _, status = line.strip().rpartition(": ")
    if not name.startswith("chalicelib."):
        continue
    module = name.rsplit(".", 1)[0].rsplit(".", 1)[1]
    total[module] += 1
    alive[module] += status in ("survived", "no tests")
    unchecked += status == "not checked"
print(f"{'module':10} {'survived':>8} {'mutants':>8} {'share':>7}")
for module in sorted(total):
    print(f"{module:10} {alive[module]:8} {total[module]:8} {100 * alive[module] / total[module]:6.1f}%")
a, t = sum(alive.values()), sum(total.values())
print(f"{'overall':10} {a:8} {t:8} {100 * a / max(t, 1):6.1f}%")
if unchecked:
    print(f"{unchecked} mutants not checked: the run did not finish")
endef
export MUTATE_SUMMARY

mutate: install  ## mutation testing of the money arithmetic (tests/unit only): the survivors' share per module
	test -x $(VENV)/bin/mutmut || $(PY) -m pip install --quiet --disable-pip-version-check mutmut==3.8.1
	rm -rf mutants && mkdir -p mutants/.chalice
	$(VENV)/bin/mutmut run --max-children $(MUTATE_CHILDREN)
	@$(VENV)/bin/mutmut results --all true | $(PY) -c "$$MUTATE_SUMMARY"

test-fast: install  ## while editing: the unit tests and the in-process tables (authorization, bad input)
	$(PY) -m pytest tests/unit tests/inprocess -p no:cacheprovider -n $(TEST_WORKERS) --dist loadgroup --no-loadscope-reorder

bench: install web  ## benchmarks: table on stdout, JSON in bench/results/
	$(PY) -m bench.run

reconcile:  ## recompute every wallet of the running local stack from its entries
	@$(PY) -m dev.reconcile

sweep:  ## release the running local stack's authorizations whose hold has ended (the 5-minute schedule, now)
	@$(PY) -m dev.reconcile sweep_holds

expire-bonus:  ## expire the running local stack's bonus whose time has come (the daily schedule, now)
	@$(PY) -m dev.reconcile expire_bonus

remind:  ## the daily reminders (run-out forecasts, bonus about to expire) on the running local stack, now
	@$(PY) -m dev.reconcile remind

segment:  ## the segmentation job on the running local stack, now: every customer's profile and segment
	@$(PY) -m dev.segment

demo-data:  ## 300 synthetic customers of six personas (CUSTOMERS, PREFIX) into the running local stack, then segment
	@$(PY) -m dev.demo_data $(if $(CUSTOMERS),--customers $(CUSTOMERS)) $(if $(PREFIX),--prefix $(PREFIX))

events:  ## print the domain events the running local stack put on its bus since the last `make events`
	@$(PY) -m dev.events

package: install  ## the Lambda bundle, as `chalice package` builds it, and the segmentation layer (PyPI, cached in .local/layers)
	$(PY) -m dev.package prod .local/package

synth: install-infra  ## every stage's CloudFormation into infra/cdk.out (+ cfn-lint and cdk-nag results); offline once .local/layers holds the layer
	$(PY) -m infra.app

deploy: install-infra web  ## cdk deploy STAGE=dev|prod to the account of your AWS credentials (docs/architecture.md: Deployment)
	@test -n "$(STAGE)" || { echo "usage: make deploy STAGE=dev|prod"; exit 2; }
	cd infra && npx --yes $(CDK_CLI) deploy --context stage=$(STAGE) $(CDK_CONTEXT) --require-approval broadening "$(STAGE)-edge" "$(STAGE)"

smoke: install-infra  ## after make deploy: check the deployed STAGE from outside (HTTPS, no token, no money moves)
	@test -n "$(STAGE)" || { echo "usage: make smoke STAGE=dev|prod [REGION=...]"; exit 2; }
	$(PY) -m infra.smoke --stage $(STAGE) $(if $(REGION),--region $(REGION))

destroy: install-infra  ## cdk destroy STAGE=dev|prod (prod keeps its table, pool, key and logs: RETAIN)
	@test -n "$(STAGE)" || { echo "usage: make destroy STAGE=dev|prod"; exit 2; }
	cd infra && npx --yes $(CDK_CLI) destroy --context stage=$(STAGE) $(CDK_CONTEXT) "$(STAGE)" "$(STAGE)-edge"

clean:
	rm -rf $(VENV) .local .pytest_cache infra/cdk.out infra/chalice.out
