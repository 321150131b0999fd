"""Integration fixtures: the store against a real (serialized) moto server process.

The endpoint is fixed when this module is imported, before any test imports the
store's models, because PynamoDB binds a model's host when its class is built.
"""
from __future__ import annotations

import os
import subprocess
import sys

import pytest

from dev.stack import ROOT, create_table, free_port, wait_http

PORT = free_port()
ENDPOINT = f"http://127.0.0.1:{PORT}"
TABLE = "balance-ledger-it"
os.environ["DYNAMODB_ENDPOINT"] = ENDPOINT
os.environ["LEDGER_TABLE"] = TABLE


@pytest.fixture(scope="session")
def moto_table():
    proc = subprocess.Popen([sys.executable, "-m", "dev.moto_server", str(PORT)], cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_http(f"{ENDPOINT}/moto-api/", proc=proc)
        create_table(ENDPOINT, TABLE)
        yield ENDPOINT
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@pytest.fixture
def store(moto_table):
    from chalicelib.store.dynamo import DynamoLedgerStore

    return DynamoLedgerStore(idempotency_ttl_seconds=48 * 3600)


@pytest.fixture
def calls(store):
    """Counts DynamoDB API calls by operation name, through botocore's event hooks."""
    from collections import Counter

    from chalicelib.store.models import LedgerItem

    counter: Counter[str] = Counter()
    events = LedgerItem._get_connection().connection.client.meta.events

    def count(model, **kwargs):
        counter[model.name] += 1

    events.register("before-call.dynamodb", count)
    yield counter
    events.unregister("before-call.dynamodb", count)
