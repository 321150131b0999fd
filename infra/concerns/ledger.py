"""The ledger table, from the single definition the code, the local stack and the tests use (infra/table.py)."""

from __future__ import annotations

from typing import Any

from aws_cdk import aws_dynamodb as dynamodb, aws_kms as kms
from constructs import Construct

from ..stages import Stage
from ..table import cfn_table_properties
from . import checkov
from .base import Concern, retain


class LedgerTable(Concern):
    """On-demand, PITR, TTL and the stream; in prod also deletion protection, RETAIN and the stage's key."""

    def __init__(self, scope: Construct, construct_id: str, *, stage: Stage, key: kms.IKey) -> None:
        super().__init__(scope, construct_id)
        p = cfn_table_properties(stage.table_name)

        def keys(schema: list[dict[str, str]]) -> list[dynamodb.CfnTable.KeySchemaProperty]:
            return [
                dynamodb.CfnTable.KeySchemaProperty(attribute_name=k["AttributeName"], key_type=k["KeyType"])
                for k in schema
            ]

        def projection(i: dict[str, Any]) -> dynamodb.CfnTable.ProjectionProperty:
            pr = i.get("Projection", {})
            return dynamodb.CfnTable.ProjectionProperty(
                projection_type=pr.get("ProjectionType"), non_key_attributes=pr.get("NonKeyAttributes")
            )

        self.table = dynamodb.CfnTable(
            self,
            "Ledger",
            table_name=p["TableName"],
            key_schema=keys(p["KeySchema"]),
            attribute_definitions=[
                dynamodb.CfnTable.AttributeDefinitionProperty(
                    attribute_name=a["AttributeName"], attribute_type=a["AttributeType"]
                )
                for a in p["AttributeDefinitions"]
            ],
            billing_mode=p["BillingMode"],
            stream_specification=dynamodb.CfnTable.StreamSpecificationProperty(
                stream_view_type=p["StreamSpecification"]["StreamViewType"]
            )
            if "StreamSpecification" in p
            else None,
            time_to_live_specification=dynamodb.CfnTable.TimeToLiveSpecificationProperty(
                attribute_name=p["TimeToLiveSpecification"]["AttributeName"], enabled=True
            )
            if "TimeToLiveSpecification" in p
            else None,
            global_secondary_indexes=[
                dynamodb.CfnTable.GlobalSecondaryIndexProperty(
                    index_name=i["IndexName"], key_schema=keys(i["KeySchema"]), projection=projection(i)
                )
                for i in p.get("GlobalSecondaryIndexes", [])
            ]
            or None,
            local_secondary_indexes=[
                dynamodb.CfnTable.LocalSecondaryIndexProperty(
                    index_name=i["IndexName"], key_schema=keys(i["KeySchema"]), projection=projection(i)
                )
                for i in p.get("LocalSecondaryIndexes", [])
            ]
            or None,
            point_in_time_recovery_specification=dynamodb.CfnTable.PointInTimeRecoverySpecificationProperty(
                point_in_time_recovery_enabled=True
            ),
            sse_specification=dynamodb.CfnTable.SSESpecificationProperty(
                sse_enabled=True, sse_type="KMS", kms_master_key_id=key.key_arn
            )
            if stage.production
            else dynamodb.CfnTable.SSESpecificationProperty(sse_enabled=False),  # AWS owned key
            deletion_protection_enabled=stage.production,
        )
        self.table.apply_removal_policy(retain(stage))
        if not stage.production:
            checkov.skip(
                self.table,
                (
                    "CKV_AWS_119",
                    "dev holds no real customer data: encrypted with DynamoDB's AWS "
                    "owned key, no KMS request per read or write; prod uses the "
                    "stage's customer managed key",
                ),
            )

    @property
    def arn(self) -> str:
        return self.table.attr_arn

    @property
    def stream_arn(self) -> str:
        return self.table.attr_stream_arn

    def index_arn(self, index: str) -> str:
        return f"{self.table.attr_arn}/index/{index}"
