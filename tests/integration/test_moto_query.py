"""dev/moto_server.py's partition query answers every Query exactly as moto's own (which sorts the whole table),
and its keyed scan every Scan (moto's sorts the table by its DynamoType keys and walks to each page's start).

The same table is queried twice, once with moto's Table.query and once with the partition query: the table's
partitions (ascending, descending, with a range condition, a filter, a projection, a limit and every page after
it) and a sparse index with a range key (the same shapes), on a table of several partitions and numeric and
string keys. The answers (items, counts and the pages' keys) must be equal.
"""

from __future__ import annotations

from typing import Any

import boto3
from moto import mock_aws
from moto.dynamodb.models.table import Table

from dev.moto_server import install_keyed_scan, install_partition_query


def _table(client: Any) -> None:
    client.create_table(
        TableName="t",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "S"},
            {"AttributeName": "g", "AttributeType": "S"},
            {"AttributeName": "n", "AttributeType": "N"},
        ],
        GlobalSecondaryIndexes=[
            {
                "IndexName": "sparse",
                "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}, {"AttributeName": "n", "KeyType": "RANGE"}],
                "Projection": {"ProjectionType": "ALL"},
            }
        ],
        BillingMode="PAY_PER_REQUEST",
    )
    for i in range(240):
        item = {"pk": {"S": f"W#{i % 7}"}, "sk": {"S": f"E#{i:04d}"}, "v": {"N": str(i % 11)}}
        if i % 3:  # a sparse index: a third of the items are not in it; equal n in one g (ties broken by the keys)
            item["g"] = {"S": f"G#{i % 4}"}
            item["n"] = {"N": str(i % 9)}
        client.put_item(TableName="t", Item=item)


QUERIES: list[dict[str, Any]] = [
    {"KeyConditionExpression": "pk = :p", "ExpressionAttributeValues": {":p": {"S": "W#3"}}},
    {"KeyConditionExpression": "pk = :p", "ExpressionAttributeValues": {":p": {"S": "W#3"}}, "ScanIndexForward": False},
    {"KeyConditionExpression": "pk = :p", "ExpressionAttributeValues": {":p": {"S": "W#404"}}},
    {
        "KeyConditionExpression": "pk = :p AND begins_with(sk, :s)",
        "ExpressionAttributeValues": {":p": {"S": "W#2"}, ":s": {"S": "E#01"}},
    },
    {
        "KeyConditionExpression": "pk = :p AND sk BETWEEN :a AND :b",
        "ExpressionAttributeValues": {":p": {"S": "W#5"}, ":a": {"S": "E#0050"}, ":b": {"S": "E#0150"}},
        "FilterExpression": "v > :v",
        "ProjectionExpression": "sk, v",
    },
    {"KeyConditionExpression": "pk = :p", "ExpressionAttributeValues": {":p": {"S": "W#1"}}, "Limit": 4},
    {"IndexName": "sparse", "KeyConditionExpression": "g = :g", "ExpressionAttributeValues": {":g": {"S": "G#1"}}},
    {
        "IndexName": "sparse",
        "KeyConditionExpression": "g = :g AND n >= :n",
        "ExpressionAttributeValues": {":g": {"S": "G#2"}, ":n": {"N": "5"}},
        "ScanIndexForward": False,
        "Limit": 3,
    },
    {
        "IndexName": "sparse",
        "KeyConditionExpression": "g = :g",
        "ExpressionAttributeValues": {":g": {"S": "G#3"}},
        "FilterExpression": "v < :v",
        "ExpressionAttributeValues_extra": {":v": {"N": "6"}},
        "Limit": 5,
    },
]


def _every_page(client: Any, query: dict[str, Any]) -> list[dict[str, Any]]:
    query = dict(query)
    values = {**query.pop("ExpressionAttributeValues"), **query.pop("ExpressionAttributeValues_extra", {})}
    if "FilterExpression" in query and ":v" not in values:
        values[":v"] = {"N": "4"}
    pages, start = [], None
    while True:
        page = client.query(
            TableName="t", ExpressionAttributeValues=values, **query, **({"ExclusiveStartKey": start} if start else {})
        )
        page.pop("ResponseMetadata")
        pages.append(page)
        start = page.get("LastEvaluatedKey")
        if not start:
            return pages


def test_the_partition_query_answers_every_query_as_moto_does():
    with mock_aws():
        client = boto3.client("dynamodb", region_name="us-east-1")
        _table(client)
        mine, theirs = Table.query, None
        try:
            theirs = [_every_page(client, q) for q in QUERIES]
            install_partition_query()
            assert Table.query is not mine  # the partition query is the one answering now
            assert getattr(Table.query, "_partition_query", False)
            ours = [_every_page(client, q) for q in QUERIES]
        finally:
            Table.query = mine
    for query, a, b in zip(QUERIES, theirs, ours, strict=True):
        assert a == b, query
    assert sum(len(p["Items"]) for pages in theirs for p in pages) > 150  # the queries do find items
    assert any(len(pages) > 3 for pages in theirs)  # and page through them


SCANS: list[dict[str, Any]] = [
    {},
    {"Limit": 7},
    {"Limit": 1},
    {"FilterExpression": "v > :v", "ExpressionAttributeValues": {":v": {"N": "4"}}, "Limit": 9},
    {"ProjectionExpression": "pk, sk, v", "Limit": 50},
    {"Segment": 1, "TotalSegments": 3, "Limit": 11},
    {"IndexName": "sparse", "Limit": 6},  # an index: moto's own scan, under the keyed one
]


def _every_scan_page(client: Any, scan: dict[str, Any], table: str = "t") -> list[dict[str, Any]]:
    pages, start = [], None
    while len(pages) < 1000:  # a scan that never ends (a page starting at its own start key) fails, not hangs
        page = client.scan(TableName=table, **scan, **({"ExclusiveStartKey": start} if start else {}))
        page.pop("ResponseMetadata")
        pages.append(page)
        start = page.get("LastEvaluatedKey")
        if not start:
            return pages
    raise AssertionError(f"the scan {scan} did not end after 1000 pages")


def test_the_keyed_scan_answers_every_scan_as_moto_does():
    with mock_aws():
        client = boto3.client("dynamodb", region_name="us-east-1")
        _table(client)
        client.create_table(  # a table without a range key, numeric hash keys (sorted as numbers, not strings)
            TableName="h",
            KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "N"}],
            BillingMode="PAY_PER_REQUEST",
        )
        for i in (5, 40, 3, 100, 27, 9, 1000, 64):
            client.put_item(TableName="h", Item={"id": {"N": str(i)}, "v": {"N": str(i % 7)}})
        mine, theirs = Table.scan, None
        try:
            theirs = [_every_scan_page(client, s) for s in SCANS] + [_every_scan_page(client, {"Limit": 3}, "h")]
            install_keyed_scan()
            assert Table.scan is not mine and getattr(Table.scan, "_keyed_scan", False)
            ours = [_every_scan_page(client, s) for s in SCANS] + [_every_scan_page(client, {"Limit": 3}, "h")]
            # a page's start key (the last item it returned) deleted before the next page: it starts after it
            first = client.scan(TableName="t", Limit=5)
            client.delete_item(TableName="t", Key=first["LastEvaluatedKey"])
            rest = _every_scan_page(client, {"ExclusiveStartKey": first["LastEvaluatedKey"]})
        finally:
            Table.scan = mine
    for scan, a, b in zip(SCANS + [{"table": "h"}], theirs, ours, strict=True):
        assert a == b, scan
    assert sum(len(p["Items"]) for p in theirs[0]) == 240 and len(theirs[1]) > 30  # every item, over many pages
    assert [int(i["id"]["N"]) for p in theirs[-1] for i in p["Items"]] == [3, 5, 9, 27, 40, 64, 100, 1000]
    seen = [(i["pk"]["S"], i["sk"]["S"]) for i in first["Items"]]  # the last of them deleted after it was read
    after = [(i["pk"]["S"], i["sk"]["S"]) for p in rest for i in p["Items"]]
    assert len(seen) + len(after) == 240 and not set(seen) & set(after) and after == sorted(after) and seen < after
