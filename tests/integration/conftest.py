"""Integration fixtures: the store against a real (serialized) moto server process.

The endpoint and table are chosen in tests/aws_env.py and put into the
environment by tests/conftest.py, before any test module imports the store's
models (PynamoDB binds a model's host when its class is built). The server is
tests/conftest.py's ``moto_table``, which the in-process app tests
(tests/inprocess) share: the models can talk to that table only.
"""

from __future__ import annotations

import pytest


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


TRANSACT_ITEM_ACTIONS = {
    "Put": "PutItem",
    "Update": "UpdateItem",
    "Delete": "DeleteItem",
    "ConditionCheck": "ConditionCheckItem",
}


@pytest.fixture
def actions(store):
    """The IAM actions the DynamoDB calls made during the test need (a TransactWriteItems is authorised item by
    item as PutItem/UpdateItem/..., a TransactGetItems as GetItem), recorded from botocore's hooks."""
    from chalicelib.store.models import LedgerItem

    seen: set[str] = set()

    def record(model, params, **kwargs):
        if model.name == "TransactWriteItems":
            seen.update(f"dynamodb:{TRANSACT_ITEM_ACTIONS[k]}" for item in params["TransactItems"] for k in item)
        elif model.name == "TransactGetItems":
            seen.add("dynamodb:GetItem")
        else:
            seen.add(f"dynamodb:{model.name}")

    events = LedgerItem._get_connection().connection.client.meta.events
    events.register("before-parameter-build.dynamodb", record)
    yield seen
    events.unregister("before-parameter-build.dynamodb", record)
