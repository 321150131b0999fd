"""Shared fixtures: a moto server process for integration tests, the whole local stack for end-to-end tests."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

# Unit and integration tests import the app's modules in this process: point them at nothing real.
os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
os.environ.setdefault("POWERTOOLS_TRACE_DISABLED", "true")
os.environ.setdefault("POWERTOOLS_METRICS_DISABLED", "true")
os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "WARNING")

from tests import aws_env  # noqa: E402

os.environ["DYNAMODB_ENDPOINT"] = aws_env.ENDPOINT
os.environ["LEDGER_TABLE"] = aws_env.TABLE


def _bind_the_item_models() -> None:
    """Import every store module now, so each item model's table is this session's (a model takes its table
    from the settings when its class is built: a module first imported later, after a test left settings of
    another stage cached, would be bound to that stage's table; CI once saw the campaigns' models on
    balance-ledger-prod)."""
    import importlib
    import pkgutil

    import chalicelib.store

    for module in pkgutil.iter_modules(chalicelib.store.__path__):
        importlib.import_module(f"chalicelib.store.{module.name}")


_bind_the_item_models()

# the environment the tests start from: put back after a test that let a library change it (chalice's packager
# puts a stage's variables into os.environ while it loads the app: tests/infra/conftest.py)
PRISTINE_ENV = dict(os.environ)


def restore_environment() -> None:
    """os.environ as the session began, and every cache of the app's modules cleared (settings among them)."""
    import functools

    for name in [n for n in os.environ if n not in PRISTINE_ENV and not n.startswith("PYTEST_")]:
        del os.environ[name]
    os.environ.update(PRISTINE_ENV)
    for name, module in list(sys.modules.items()):
        if name == "chalicelib" or name.startswith("chalicelib."):
            for value in list(vars(module).values()):
                if isinstance(value, functools._lru_cache_wrapper):
                    value.cache_clear()


# the case tables' checks are plain asserts in helper modules: let pytest explain them as in a test module
pytest.register_assert_rewrite("tests.tables")

# The app's settings in the tests, over HTTP (the local stack's chalice local) and in process (tests/inprocess)
TEST_APP_ENV = {
    "FAULT_INJECTION": "1",
    "MAX_TRANSACTION_AMOUNT": "5000000",
    # a webhook secret of this session's own: every signing helper must use the one the app checks
    "PAYMENT_WEBHOOK_SECRET": f"test-secret-{os.getpid()}",
    # points usable at once: the return window is covered with the clock set (tests/unit/test_points.py);
    # over HTTP the clock is the real one
    "POINTS_RETURN_WINDOW_DAYS": "0",
}


@pytest.fixture(scope="session")
def moto_table():
    """The moto server of the in-process tests (tests/integration: the store; tests/inprocess: the whole app),
    on the port and with the table tests/aws_env.py put in the environment, which the store's models are
    bound to when they are imported."""
    from dev.stack import ROOT as root, create_table, wait_http

    proc = subprocess.Popen(
        [sys.executable, "-m", "dev.moto_server", str(aws_env.PORT)],
        cwd=root,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_http(f"{aws_env.ENDPOINT}/moto-api/", proc=proc)
        create_table(aws_env.ENDPOINT, aws_env.TABLE)
        yield aws_env.ENDPOINT
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@pytest.fixture(scope="session")
def local_stack(tmp_path_factory):
    """moto server + table + user pool + chalice local (fault injection on), stopped after the session."""
    yield from test_stack(tmp_path_factory)


def test_stack(tmp_path_factory):
    """Start a local stack for tests, yield its StackInfo, stop it (a generator for fixtures of any scope)."""
    from dev.stack import LocalStack

    stack = LocalStack(app_env=dict(TEST_APP_ENV), log_dir=tmp_path_factory.mktemp("stack-logs"))
    try:
        info = stack.start()
    except Exception:
        stack.stop()
        for log in stack.log_dir.glob("*.log"):
            sys.stderr.write(f"--- {log.name}\n{log.read_text()[-4000:]}\n")
        raise
    yield info
    stack.stop()


# ---- running on every core (`make test`: pytest-xdist, --dist loadgroup --no-loadscope-reorder) ----------
# A module is the unit of distribution: its module-scoped stack and fixtures are built once, on one worker.
# tests/infra is one group: its modules share the session's synthesis (some 30 s of CDK), which each worker
# would otherwise redo; the schemathesis module is two, one per caller (each run has a stack of its own).
# The groups go out in collection order, and the longest are collected first, so that no worker picks one up
# at the end while the others idle (no test depends on the order: each module makes the users, merchants and
# tables it needs).
#
# The groups are named by a scheduler of our own rather than by xdist_group marks: pytest-xdist 3.8 applies a
# mark by rewriting ``item._nodeid``, which pytest 9 no longer reads, so with pytest 9 every mark is ignored.
LONGEST_FIRST = (
    "tests/infra/",
    "tests/e2e/test_schemathesis",
    "tests/browser/",  # each module a group of its own; they share the worker's session stack
    "tests/e2e/test_reminders",
    "tests/e2e/test_promotions",
    "tests/e2e/test_authorization",
    "tests/inprocess/test_authorization",
    "tests/e2e/test_feedback",
)
ROLES = ("customer", "admin")


def group_of(nodeid: str) -> str:
    """The work unit of a test: its module, all of tests/infra, or a module and its caller."""
    path = nodeid.split("::", 1)[0]
    if path.startswith("tests/infra/"):
        return "tests/infra/"
    if path == "tests/e2e/test_schemathesis.py":
        role = next((r for r in ROLES if nodeid.endswith(f"[{r}]")), None)
        if role:
            return f"{path}:{role}"
    return path


def _rank(item: pytest.Item) -> int:
    path = item.path.relative_to(ROOT).as_posix()
    return next((i for i, prefix in enumerate(LONGEST_FIRST) if path.startswith(prefix)), len(LONGEST_FIRST))


def pytest_collection_modifyitems(config, items):
    items.sort(key=_rank)  # stable: within a rank, collection order (a module's tests stay together)


def pytest_xdist_make_scheduler(config, log):
    if config.getvalue("dist") != "loadgroup":
        return None
    from xdist.scheduler import LoadScopeScheduling

    class ByGroup(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return group_of(nodeid)

    return ByGroup(config, log)
