"""The stream publisher on moto: real stream records of real movements, the handler Lambda runs, the
local mapping's restart-from-the-first-failure (dev/lifecycle.StreamReader), events put on moto's bus.

The fault test fails one record's publication once, in the middle of a batch: every event is then on
the bus exactly once (nothing lost, nothing published twice), in the order of the records."""

from __future__ import annotations

import json
import uuid

import pytest

from chalicelib.domain.model import Principal
from chalicelib.services import admin
from chalicelib.services.common import IdempotentRequest
from dev.lifecycle import StreamReader, lambda_record
from dev.stack import aws_client
from tests.aws_env import TABLE


@pytest.fixture
def bus(moto_table):
    """A catch-all rule on moto's default bus (the publisher's, by default) into a queue we read."""
    events, sqs = aws_client("events", moto_table), aws_client("sqs", moto_table)
    name = f"all-{uuid.uuid4().hex[:6]}"
    url = sqs.create_queue(QueueName=name)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    events.put_rule(Name=name, EventPattern=json.dumps({"source": ["store-balance"]}))
    events.put_targets(Rule=name, Targets=[{"Id": "q", "Arn": arn}])

    def published() -> list[dict]:
        out = []
        while True:
            got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
            if not got:
                return out
            for m in got:
                out.append(json.loads(m["Body"]))
                sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])

    yield published
    events.remove_targets(Rule=name, Ids=["q"])
    events.delete_rule(Name=name)


def stream_reader(endpoint: str, handle) -> StreamReader:
    arn = aws_client("dynamodb", endpoint).describe_table(TableName=TABLE)["Table"]["LatestStreamArn"]
    reader = StreamReader(aws_client("dynamodbstreams", endpoint), arn, aws_client("sqs", endpoint), None, handle)
    reader.skip_to_latest()  # what other tests wrote is not this test's
    return reader


def adjust(store, user: str, amount: int, n: int) -> None:
    admin.adjust(
        store,
        currency="CNY",
        max_attempts=5,
        principal=Principal("op", frozenset({"admin"})),
        request=IdempotentRequest("op", f"{user}-{n}", "h"),
        user_id=user,
        amount=amount,
        lot="cash",
        reason=f"step {n}",
    )


def drain(reader: StreamReader) -> None:
    for _ in range(20):
        if not reader.poll():
            return


def test_every_change_is_published_once_in_order(store, bus):
    from chalicelib.handlers.publisher import publish_batch

    reader = stream_reader(store_endpoint(), publish_batch)
    bus()  # empty
    user = f"u-{uuid.uuid4().hex[:8]}"
    for n in range(5):
        adjust(store, user, 100 * (n + 1), n)
    drain(reader)
    mine = [e for e in bus() if e["detail"].get("user_id") == user]
    assert [e["detail-type"] for e in mine] == ["balance.adjusted"] * 5
    assert [e["detail"]["amount"] for e in mine] == [100, 200, 300, 400, 500]


def test_a_record_that_fails_once_in_a_batch_loses_and_duplicates_nothing(store, bus, monkeypatch):
    from chalicelib.handlers import publisher

    real_put = publisher.put_events
    failed = []
    user = f"u-{uuid.uuid4().hex[:8]}"

    def flaky_put(events):
        if any(d.get("reason") == "step 2" and d.get("user_id") == user for _, d in events) and not failed:
            failed.append(events)
            raise RuntimeError("PutEvents timed out")  # the third record's first attempt
        real_put(events)

    monkeypatch.setattr(publisher, "put_events", flaky_put)
    batches = []

    def handle(event, context):
        batches.append([r["dynamodb"]["SequenceNumber"] for r in event["Records"]])
        return publisher.publish_batch(event, context)

    reader = stream_reader(store_endpoint(), handle)
    bus()
    batches.clear()
    for n in range(5):  # written before the reader polls: one batch of several records
        adjust(store, user, 100 * (n + 1), n)
    drain(reader)
    assert failed, "the fault was not injected"
    mine = [e for e in bus() if e["detail"].get("user_id") == user]
    ids = [e["detail"]["event_id"] for e in mine]
    assert len(ids) == len(set(ids)) == 5  # nothing twice, nothing lost
    assert [e["detail"]["amount"] for e in mine] == [100, 200, 300, 400, 500]  # in order
    # the retried batch started at the failed record: the two before it were not handed over again
    first, retry = batches[0], batches[1]
    k = first.index(retry[0])
    assert k > 0 and retry[: len(first) - k] == first[k:] and not set(first[:k]) & set(retry)


def test_a_record_that_cannot_be_mapped_is_reported_with_the_ones_after_it(store):
    """Powertools' partial batch response names the failed record and everything after it."""
    from chalicelib.handlers.publisher import publish_batch

    user = f"u-{uuid.uuid4().hex[:8]}"
    captured = []
    reader = stream_reader(store_endpoint(), lambda event, ctx: captured.append(event) or {})
    adjust(store, user, 100, 0)
    adjust(store, user, 200, 1)
    drain(reader)
    records = [r for e in captured for r in e["Records"]]
    assert len(records) >= 2
    broken = json.loads(json.dumps(records, default=str))
    k = next(i for i, r in enumerate(broken) if r["dynamodb"].get("NewImage", {}).get("kind") == {"S": "entry"})
    del broken[k]["dynamodb"]["NewImage"]["user_id"]  # an entry without its user: the mapping fails
    answer = publish_batch({"Records": broken})
    assert [f["itemIdentifier"] for f in answer["batchItemFailures"]] == [
        r["dynamodb"]["SequenceNumber"] for r in broken[k:]
    ]
    assert lambda_record(records[0], "arn")["eventSourceARN"] == "arn"


def store_endpoint() -> str:
    from tests.aws_env import ENDPOINT

    return ENDPOINT
