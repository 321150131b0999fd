"""The table the local stack creates (on a moto server, as `make run` does) is the table the stacks deploy."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import pytest

from dev.stack import ROOT, aws_client, create_table, free_port, wait_http
from infra.table import comparable


@pytest.fixture(scope="module")
def local_table_description():
    port = free_port()
    endpoint = f"http://127.0.0.1:{port}"
    proc = subprocess.Popen(
        [sys.executable, "-m", "dev.moto_server", str(port)],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_http(f"{endpoint}/moto-api/", proc=proc)
        create_table(endpoint, "balance-ledger-drift")
        ddb = aws_client("dynamodb", endpoint)
        table = ddb.describe_table(TableName="balance-ledger-drift")["Table"]
        ttl = ddb.describe_time_to_live(TableName="balance-ledger-drift")["TimeToLiveDescription"]
        yield table, ttl
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def as_properties(table: dict[str, Any], ttl: dict[str, Any]) -> dict[str, Any]:
    """DescribeTable's answer in CloudFormation's vocabulary."""
    props: dict[str, Any] = {
        "KeySchema": table["KeySchema"],
        "AttributeDefinitions": table["AttributeDefinitions"],
        "BillingMode": table.get("BillingModeSummary", {}).get("BillingMode", "PROVISIONED"),
    }
    if table.get("StreamSpecification", {}).get("StreamEnabled"):
        props["StreamSpecification"] = {"StreamViewType": table["StreamSpecification"]["StreamViewType"]}
    if ttl.get("TimeToLiveStatus") in ("ENABLED", "ENABLING"):
        props["TimeToLiveSpecification"] = {"AttributeName": ttl["AttributeName"], "Enabled": True}
    for kind in ("GlobalSecondaryIndexes", "LocalSecondaryIndexes"):
        if table.get(kind):
            props[kind] = [
                {"IndexName": i["IndexName"], "KeySchema": i["KeySchema"], "Projection": i["Projection"]}
                for i in table[kind]
            ]
    return props


@pytest.mark.parametrize("stage", ("dev", "prod"))
def test_local_and_deployed_tables_are_the_same(synth, local_table_description, stage):
    _, deployed = synth.one(stage, "AWS::DynamoDB::Table")
    local = comparable(as_properties(*local_table_description))
    assert local == comparable(deployed["Properties"])
    assert local["keys"] and local["stream"] == "NEW_AND_OLD_IMAGES" and local["ttl"]
