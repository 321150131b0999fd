"""The ledger table as CloudFormation properties, derived from the one definition the code uses.

``chalicelib.store.models.table_definition()`` is DynamoDB's CreateTable request
(built from PynamoDB's own schema of the items); the local stack creates its
table from it, and this module turns the same dict into ``AWS::DynamoDB::Table``
properties. Nothing here names a key or an attribute.
"""

from __future__ import annotations

from typing import Any

from chalicelib.store.models import table_definition


def cfn_table_properties(name: str, definition: dict[str, Any] | None = None) -> dict[str, Any]:
    """CloudFormation properties of the table (keys, indexes, billing, stream, TTL) named ``name``."""
    d = definition if definition is not None else table_definition()
    pay_per_request = d.get("BillingMode") == "PAY_PER_REQUEST"
    props: dict[str, Any] = {
        "TableName": name,
        "KeySchema": d["KeySchema"],
        "AttributeDefinitions": d["AttributeDefinitions"],
        "BillingMode": d["BillingMode"],
    }
    if not pay_per_request:
        props["ProvisionedThroughput"] = d["ProvisionedThroughput"]
    stream = d.get("StreamSpecification") or {}
    if stream.get("StreamEnabled"):
        # CloudFormation has no StreamEnabled: a view type means a stream
        props["StreamSpecification"] = {"StreamViewType": stream["StreamViewType"]}
    if d.get("TimeToLiveAttribute"):
        props["TimeToLiveSpecification"] = {"AttributeName": d["TimeToLiveAttribute"], "Enabled": True}
    for kind in ("GlobalSecondaryIndexes", "LocalSecondaryIndexes"):
        if d.get(kind):
            props[kind] = [
                {k: v for k, v in index.items() if not (pay_per_request and k == "ProvisionedThroughput")}
                for index in d[kind]
            ]
    return props


def comparable(props: dict[str, Any]) -> dict[str, Any]:
    """The part of a table's description that must never drift between environments, order-free."""

    def keys(schema: list[dict[str, str]]) -> list[tuple[str, str]]:
        return sorted((k["AttributeName"], k["KeyType"]) for k in schema)

    def indexes(kind: str) -> dict[str, Any]:
        return {
            i["IndexName"]: {
                "keys": keys(i["KeySchema"]),
                "projection": i.get("Projection", {}).get("ProjectionType"),
                "non_key": sorted(i.get("Projection", {}).get("NonKeyAttributes", [])),
            }
            for i in props.get(kind, [])
        }

    return {
        "keys": keys(props["KeySchema"]),
        "attributes": sorted((a["AttributeName"], a["AttributeType"]) for a in props["AttributeDefinitions"]),
        "billing": props.get("BillingMode", "PROVISIONED"),
        "stream": (props.get("StreamSpecification") or {}).get("StreamViewType"),
        "ttl": (props.get("TimeToLiveSpecification") or {}).get("AttributeName"),
        "global_indexes": indexes("GlobalSecondaryIndexes"),
        "local_indexes": indexes("LocalSecondaryIndexes"),
    }
