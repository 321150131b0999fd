"""Shared fixtures: a moto server process for integration tests, the whole local stack for end-to-end tests."""
from __future__ import annotations

import os
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


@pytest.fixture(scope="session")
def local_stack(tmp_path_factory):
    """moto server + table + user pool + chalice local (fault injection on), stopped after the session."""
    yield from test_stack(tmp_path_factory)


def test_stack(tmp_path_factory):
    """Start a local stack for tests, yield its StackInfo, stop it (a generator for fixtures of any scope)."""
    from dev.stack import LocalStack

    # a webhook secret of this session's own: every signing helper must use the one the app checks
    stack = LocalStack(app_env={"FAULT_INJECTION": "1", "MAX_TRANSACTION_AMOUNT": "5000000",
                                "PAYMENT_WEBHOOK_SECRET": f"test-secret-{os.getpid()}",
                                # points usable at once: the return window is covered with the clock set
                                # (tests/unit/test_points.py); over HTTP the clock is the real one
                                "POINTS_RETURN_WINDOW_DAYS": "0"},
                       log_dir=tmp_path_factory.mktemp("stack-logs"))
    try:
        info = stack.start()
    except Exception:
        stack.stop()
        for log in stack.log_dir.glob("*.log"):
            sys.stderr.write(f"--- {log.name}\n{log.read_text()[-4000:]}\n")
        raise
    yield info
    stack.stop()
