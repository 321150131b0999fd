"""dev/moto_server.py's lighter answers say exactly what moto's own do: a DynamoDB item operation's JSON is the
serializer's (compared answer by answer over every item operation and attribute type), an SQS queue's
attributes are the ones moto computes all at once (standard, FIFO, with a policy, a redrive policy, a KMS key,
messages delayed and in flight), and a cached JSONPath finds what a fresh one does."""

from __future__ import annotations

import contextlib
import json
from typing import Any, Iterator

import boto3
import jsonpath_ng.ext
from moto import mock_aws
from moto.dynamodb.responses import DynamoResult
from moto.sqs.models import Queue

from dev.moto_server import ITEM_OPERATIONS, install_light_answers, plain_item_answer


@contextlib.contextmanager
def light_answers() -> Iterator[None]:
    """install_light_answers() for the block: moto's own answers again after it."""
    before = DynamoResult.execute_result, Queue.attributes, jsonpath_ng.ext.parse
    try:
        install_light_answers()
        assert DynamoResult.execute_result is not before[0] and jsonpath_ng.ext.parse is not before[2]
        yield
    finally:
        DynamoResult.execute_result, Queue.attributes, jsonpath_ng.ext.parse = before


ITEM = {
    "pk": {"S": "W#1"},
    "sk": {"S": "E#0001"},
    "n": {"N": "12.50"},
    "b": {"B": b"\x00\xffbytes"},
    "t": {"BOOL": True},
    "z": {"NULL": True},
    "m": {"M": {"a": {"S": "x"}, "n": {"N": "-3"}, "l": {"L": [{"N": "1"}, {"S": "two"}, {"B": b"3"}]}}},
    "l": {"L": [{"M": {"k": {"BOOL": False}}}, {"NULL": True}]},
    "ss": {"SS": ["a", "b"]},
    "ns": {"NS": ["1", "2.5"]},
    "bs": {"BS": [b"x", b"y"]},
    "u": {"S": "中文 ✓"},
}


def _workload(client: Any) -> None:
    client.create_table(
        TableName="t",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "S"},
        ],
        BillingMode="PAY_PER_REQUEST",
    )
    key = {"pk": ITEM["pk"], "sk": ITEM["sk"]}
    capacity = {"ReturnConsumedCapacity": "TOTAL"}
    client.put_item(TableName="t", Item=ITEM)
    client.put_item(TableName="t", Item={**ITEM, "n": {"N": "1"}}, ReturnValues="ALL_OLD", **capacity)
    for i in range(2, 9):
        client.put_item(TableName="t", Item={**ITEM, "sk": {"S": f"E#{i:04d}"}})
    client.get_item(TableName="t", Key=key)
    client.get_item(TableName="t", Key={"pk": {"S": "nobody"}, "sk": {"S": "x"}}, **capacity)
    client.get_item(TableName="t", Key=key, ProjectionExpression="m.l, ss")
    for returns in ("ALL_NEW", "UPDATED_OLD", "UPDATED_NEW", "NONE"):
        client.update_item(
            TableName="t",
            Key=key,
            UpdateExpression="SET n = n + :one, m.a = :s",
            ExpressionAttributeValues={":one": {"N": "1"}, ":s": {"S": returns}},
            ReturnValues=returns,
        )
    client.query(TableName="t", KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": ITEM["pk"]})
    page = client.query(
        TableName="t", KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": ITEM["pk"]}, Limit=3
    )
    client.query(
        TableName="t",
        KeyConditionExpression="pk = :p",
        ExpressionAttributeValues={":p": ITEM["pk"]},
        ExclusiveStartKey=page["LastEvaluatedKey"],
        Select="COUNT",
        **capacity,
    )
    client.scan(TableName="t", Limit=4)
    client.scan(TableName="t", FilterExpression="n > :n", ExpressionAttributeValues={":n": {"N": "100"}})
    client.batch_get_item(RequestItems={"t": {"Keys": [key, {"pk": ITEM["pk"], "sk": {"S": "E#0003"}}]}}, **capacity)
    client.batch_write_item(
        RequestItems={
            "t": [
                {"PutRequest": {"Item": {**ITEM, "sk": {"S": "E#0100"}}}},
                {"DeleteRequest": {"Key": {"pk": ITEM["pk"], "sk": {"S": "E#0002"}}}},
            ]
        }
    )
    client.transact_get_items(TransactItems=[{"Get": {"TableName": "t", "Key": key}}], **capacity)
    client.transact_write_items(
        TransactItems=[
            {"Put": {"TableName": "t", "Item": {**ITEM, "sk": {"S": "E#0200"}}}},
            {"Update": {"TableName": "t", "Key": key, "UpdateExpression": "REMOVE z"}},
        ],
        **capacity,
    )
    try:
        client.transact_write_items(
            TransactItems=[
                {"Put": {"TableName": "t", "Item": ITEM, "ConditionExpression": "attribute_not_exists(pk)"}},
            ]
        )
    except client.exceptions.TransactionCanceledException:
        pass
    client.delete_item(TableName="t", Key=key, ReturnValues="ALL_OLD")
    client.delete_item(TableName="t", Key=key)


def test_every_item_answer_is_the_serializers():
    compared: list[tuple[str, bool, bool]] = []
    serialize = DynamoResult.execute_result

    def both(self: Any, context: Any) -> Any:
        theirs = serialize(self, context)
        ours = plain_item_answer(self.result, context.operation_model.output_shape.members)
        if context.operation_model.name in ITEM_OPERATIONS and ours is not None:
            compared.append(
                (context.operation_model.name, json.loads(ours[2]) == json.loads(theirs[2]), ours[1] == theirs[1])
            )
        return theirs

    DynamoResult.execute_result = both
    try:
        with mock_aws():
            client = boto3.client("dynamodb", region_name="us-east-1")
            _workload(client)
            items = client.scan(TableName="t")["Items"]
    finally:
        DynamoResult.execute_result = serialize
    assert {name for name, _, _ in compared} == ITEM_OPERATIONS  # every item operation was answered both ways
    assert [c for c in compared if not (c[1] and c[2])] == []
    assert len(compared) > 20 and any(i.get("b") == {"B": b"\x00\xffbytes"} for i in items)


def test_the_workload_reads_the_same_through_the_light_answers():
    def run() -> list[dict[str, Any]]:
        with mock_aws():
            client = boto3.client("dynamodb", region_name="us-east-1")
            _workload(client)
            return client.scan(TableName="t")["Items"]

    theirs = run()
    with light_answers():
        ours = run()
    assert ours == theirs and len(ours) == 8


def test_a_queues_attributes_are_moto_own_read_one_by_one():
    original: Any = Queue.attributes
    with mock_aws():
        sqs = boto3.client("sqs", region_name="us-east-1")
        dlq = sqs.create_queue(QueueName="dlq")["QueueUrl"]
        dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        urls = [
            sqs.create_queue(QueueName="plain")["QueueUrl"],
            sqs.create_queue(QueueName="f.fifo", Attributes={"FifoQueue": "true", "ContentBasedDeduplication": "true"})[
                "QueueUrl"
            ],
            sqs.create_queue(
                QueueName="redriven",
                Attributes={
                    "RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": "3"}),
                    "Policy": json.dumps({"Version": "2012-10-17", "Statement": []}),
                    "KmsMasterKeyId": "alias/aws/sqs",
                    "DelaySeconds": "0",
                },
            )["QueueUrl"],
        ]
        for url in urls:
            fifo = {"MessageGroupId": "g"} if url.endswith(".fifo") else {}
            sqs.send_message(QueueUrl=url, MessageBody="now", **fifo)
            sqs.send_message(QueueUrl=url, MessageBody="second", **fifo)
            if not fifo:
                sqs.send_message(QueueUrl=url, MessageBody="later", DelaySeconds=60)
            sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=1, VisibilityTimeout=60)  # one in flight
        from moto.sqs.models import sqs_backends

        queues = list(sqs_backends["123456789012"]["us-east-1"].queues.values())
        theirs = {q.name: original.fget(q) for q in queues}
        all_theirs = [sqs.get_queue_attributes(QueueUrl=u, AttributeNames=["All"])["Attributes"] for u in urls]
        with light_answers():
            ours = {q.name: dict(q.attributes) for q in queues}
            one = {q.name: q.attributes.get("ApproximateNumberOfMessagesNotVisible") for q in queues}
            all_ours = [sqs.get_queue_attributes(QueueUrl=u, AttributeNames=["All"])["Attributes"] for u in urls]
            sqs.send_message(QueueUrl=urls[0], MessageBody="after")  # SendMessage reads one attribute
            counted = sqs.get_queue_attributes(QueueUrl=urls[0], AttributeNames=["ApproximateNumberOfMessages"])
    assert ours == theirs and all_ours == all_theirs and len(ours) == 4
    assert one == {name: t["ApproximateNumberOfMessagesNotVisible"] for name, t in theirs.items()}
    assert theirs["plain"]["ApproximateNumberOfMessagesDelayed"] == 1 and one["plain"] == 1  # the test's own mix
    assert {"RedrivePolicy", "KmsMasterKeyId"} <= set(all_ours[2]) and all_ours[1]["FifoQueue"] == "true"
    assert counted["Attributes"]["ApproximateNumberOfMessages"] == str(
        theirs["plain"]["ApproximateNumberOfMessages"] + 1
    )


def test_a_cached_path_finds_what_a_fresh_one_does():
    event = {"detail": {"a": [1, {"b": "x"}]}, "id": "e1"}
    fresh = jsonpath_ng.ext.parse
    with light_answers():
        cached = jsonpath_ng.ext.parse
        assert cached("$.detail") is cached("$.detail")  # parsed once
        found = {p: [m.value for m in cached(p).find(event)] for p in ("$.detail", "$.id", "$.detail.a", "$.missing")}
    assert found == {p: [m.value for m in fresh(p).find(event)] for p in found} and found["$.id"] == ["e1"]
