"""The ledger table: one DynamoDB table, declared once, here.

Every item type lives in the same table under ``pk``/``sk`` (the key layout: ``keys``; the item models:
``items_money``, ``items_loyalty``, ``items_messages``; ``models`` names them all). The table's definition
(keys, billing, stream, TTL, the sparse job indexes) is derived from ``LedgerItem`` by ``table_definition()``;
the local stack, the tests and the infrastructure all create the table from that function, so the key schema
is written nowhere else.
"""

from __future__ import annotations

from typing import Any

from pynamodb.attributes import UnicodeAttribute
from pynamodb.indexes import GlobalSecondaryIndex, IncludeProjection, KeysOnlyProjection
from pynamodb.models import Model

from ..config import get_settings

TTL_ATTRIBUTE = "expires_at"


def item_meta(**extra: Any) -> type:
    """The ``Meta`` of an item model: the ledger table, from the settings (read when the class is built)."""
    s = get_settings()
    attrs = {
        "table_name": s.table_name,
        "region": s.region,
        "host": s.dynamodb_endpoint,
        "billing_mode": "PAY_PER_REQUEST",
        "stream_view_type": "NEW_AND_OLD_IMAGES",
        "max_retry_attempts": 3,
        "connect_timeout_seconds": 2,
        "read_timeout_seconds": 5,
        **extra,
    }
    return type("Meta", (), attrs)


class OpenHolds(GlobalSecondaryIndex):
    """Sparse index of the authorizations still on hold, by shard (``keys.hold_shard``) and end, and of the
    checkouts not yet paid, cancelled or expired, by shard and ``expires_at``: the sweeper's work list. Only
    an authorized payment (settling it removes them) and such a checkout (``checkout_expiry``) carry
    ``hold_shard``/``hold_due``."""

    class Meta:
        index_name = "open-holds"
        projection = KeysOnlyProjection()
        billing_mode = "PAY_PER_REQUEST"

    hold_shard = UnicodeAttribute(hash_key=True)
    hold_due = UnicodeAttribute(range_key=True)


class BonusDue(GlobalSecondaryIndex):
    """Sparse index of the wallets holding bonus that expires, by shard (``keys.bonus_shard``) and soonest
    expiry: the expiry job's and the bonus-expiry reminder's work list. Only a wallet with an expiring grant
    carries ``bonus_shard``."""

    class Meta:
        index_name = "bonus-due"
        projection = KeysOnlyProjection()
        billing_mode = "PAY_PER_REQUEST"

    bonus_shard = UnicodeAttribute(hash_key=True)
    bonus_due = UnicodeAttribute(range_key=True)


class RemindList(GlobalSecondaryIndex):
    """Sparse index of the wallets whose customer asked for run-out reminders (``remind_shard`` set, by
    ``keys.remind_shard``)."""

    class Meta:
        index_name = "reminders"
        projection = KeysOnlyProjection()
        billing_mode = "PAY_PER_REQUEST"

    remind_shard = UnicodeAttribute(hash_key=True)
    user_id = UnicodeAttribute(range_key=True)


class SegmentMembers(GlobalSecondaryIndex):
    """Sparse index of the customers' profiles by segment (``keys.member_shard``: segment and shard) and user:
    a segment's members page by page, and a segment-targeted grant's work list. Only a profile carries
    ``member_shard``; its ``member`` (balance and RFM figures) is projected so a page needs no other read."""

    class Meta:
        index_name = "segment-members"
        projection = IncludeProjection(["member"])
        billing_mode = "PAY_PER_REQUEST"

    member_shard = UnicodeAttribute(hash_key=True)
    user_id = UnicodeAttribute(range_key=True)


class LedgerItem(Model):
    """Keys shared by every item in the table."""

    Meta = item_meta()
    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    kind = UnicodeAttribute()
    hold_shard = UnicodeAttribute(null=True)
    hold_due = UnicodeAttribute(null=True)
    open_holds = OpenHolds()
    bonus_shard = UnicodeAttribute(null=True)
    bonus_due = UnicodeAttribute(null=True)
    bonus_due_index = BonusDue()
    remind_shard = UnicodeAttribute(null=True)
    remind_list = RemindList()
    member_shard = UnicodeAttribute(null=True)
    segment_members = SegmentMembers()


def table_definition() -> dict[str, Any]:
    """The table as DynamoDB's CreateTable parameters, plus ``TimeToLiveAttribute``.

    Derived from ``LedgerItem`` (PynamoDB's own schema of it), never written twice.
    """
    schema = LedgerItem._get_schema()
    definition: dict[str, Any] = {
        "TableName": LedgerItem.Meta.table_name,
        "KeySchema": sorted(schema["key_schema"], key=lambda k: k["KeyType"]),
        "AttributeDefinitions": schema["attribute_definitions"],
        "BillingMode": LedgerItem.Meta.billing_mode,
        "StreamSpecification": {"StreamEnabled": True, "StreamViewType": LedgerItem.Meta.stream_view_type},
        "TimeToLiveAttribute": TTL_ATTRIBUTE,
    }
    if schema["global_secondary_indexes"]:
        definition["GlobalSecondaryIndexes"] = [
            {
                "IndexName": i["index_name"],
                "KeySchema": sorted(i["key_schema"], key=lambda k: k["KeyType"]),
                "Projection": i["projection"],
            }
            for i in schema["global_secondary_indexes"]
        ]
    return definition
