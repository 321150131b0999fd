"""Behaviour events on moto's bus: every event of a batch of 25 arrives once, with its detail as sent."""

from __future__ import annotations

import json
import uuid

from chalicelib.bus import BusSink
from chalicelib.services.publishing import Bus
from chalicelib.domain.model import Principal
from chalicelib.services import behaviour
from dev.stack import aws_client


def test_a_batch_of_25_reaches_the_bus_once_each_with_its_detail(moto_table):
    events, sqs = aws_client("events", moto_table), aws_client("sqs", moto_table)
    bus = f"bus-{uuid.uuid4().hex[:6]}"
    events.create_event_bus(Name=bus)
    url = sqs.create_queue(QueueName=bus)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    events.put_rule(Name=bus, EventBusName=bus, EventPattern=json.dumps({"detail-type": [{"prefix": "behaviour."}]}))
    events.put_targets(Rule=bus, EventBusName=bus, Targets=[{"Id": "q", "Arn": arn}])

    batch = [{"type": "search", "props": {"query": f"tea {n}"}, "id": f"c-{n}"} for n in range(25)]
    answer = behaviour.record(Bus(BusSink(events), "store-balance", bus), Principal("alice"), batch)

    assert answer == {"accepted": 25}
    got = []
    while True:
        messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
        if not messages:
            break
        got += [json.loads(m["Body"]) for m in messages]
        sqs.delete_message_batch(
            QueueUrl=url, Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(messages)]
        )
    assert sorted(e["detail"]["props"]["query"] for e in got) == sorted(f"tea {n}" for n in range(25))
    assert {e["detail-type"] for e in got} == {"behaviour.search"} and {e["source"] for e in got} == {"store-balance"}
    assert len({e["detail"]["event_id"] for e in got}) == 25
    assert {e["detail"]["user_id"] for e in got} == {"alice"}
