"""The contract suite's stores: every case runs against the in-memory fakes and against the DynamoDB stores on
moto, through the ports only (``chalicelib.services.ports``).

The moto server is the integration tests' (``tests/integration/conftest.py``, ``moto_table``): when they have
started it in this session it is used as it is; when the contract suite runs alone (or first), this package
starts one the same way, on the same port and table, and stops it when the package is done, so that the
integration fixture can start its own afterwards. Every case uses ids of its own (the table is shared).
"""

from __future__ import annotations

import subprocess
import sys
import urllib.error
import urllib.request

import pytest

from dev.stack import ROOT, create_table, wait_http
from tests.aws_env import ENDPOINT, PORT, TABLE


def _answers(url: str) -> bool:
    try:
        urllib.request.urlopen(url, timeout=1).read()
    except urllib.error.HTTPError:
        return True
    except OSError:
        return False
    return True


@pytest.fixture(scope="package")
def moto_table():
    """The integration tests' moto server and table: theirs if running, else one of this package's."""
    if _answers(f"{ENDPOINT}/moto-api/"):
        yield ENDPOINT
        return
    proc = subprocess.Popen(
        [sys.executable, "-m", "dev.moto_server", str(PORT)],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_http(f"{ENDPOINT}/moto-api/", proc=proc)
        create_table(ENDPOINT, TABLE)
        yield ENDPOINT
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@pytest.fixture(params=["fake", "dynamodb"])
def ledger(request):
    """A ledger store: ``FakeLedgerStore`` or ``DynamoLedgerStore`` on moto."""
    if request.param == "fake":
        from tests.unit.fakes import FakeLedgerStore

        return FakeLedgerStore()
    request.getfixturevalue("moto_table")
    from chalicelib.store.dynamo import DynamoLedgerStore

    return DynamoLedgerStore(idempotency_ttl_seconds=48 * 3600)


@pytest.fixture
def feedback_store(ledger):
    """The feedback store on the same ledger (its payments, top-ups, entries and idempotency records)."""
    from tests.unit.fakes import FakeFeedbackStore, FakeLedgerStore

    if isinstance(ledger, FakeLedgerStore):
        return FakeFeedbackStore(ledger)
    from chalicelib.store.feedback import DynamoFeedbackStore

    return DynamoFeedbackStore(ledger)


@pytest.fixture
def profile_store(ledger):
    """The profile store beside the ledger (the same table on moto)."""
    from tests.unit.fakes import FakeLedgerStore, FakeProfileStore

    if isinstance(ledger, FakeLedgerStore):
        return FakeProfileStore()
    from chalicelib.store.profiles import DynamoProfileStore

    return DynamoProfileStore()
