"""The ledger table: one DynamoDB table, declared once, here.

Every item type below lives in the same table under ``pk``/``sk``. The table's
definition (keys, billing, stream, TTL) is derived from ``LedgerItem`` by
``table_definition()``; the local stack, the tests and the infrastructure all
create the table from that function, so the key schema is written nowhere else.

Keys (``{}`` are ids):
  W#{user_id}        / WALLET          the wallet: lots, version, settings, bonus grants; with expiring
                                       bonus also bonus_shard/bonus_due (index bonus-due)
  W#{user_id}        / E#{seq:012d}    ledger entries, seq = wallet version they produced
  W#{user_id}        / PE#{seq:012d}   points entries, seq = points account version they produced
  W#{user_id}        / N#{notification_id}  the customer's inbox (ids are time-ordered: newest last in key
                                       order); expires via TTL after NOTIFICATION_TTL_DAYS
  W#{user_id}        / NK#{dedupe_key} guard: one notification per dedupe key (event, payment, week, grant);
                                       names the notification; expires via TTL after NOTIFICATION_KEY_TTL_DAYS
  T#{topup_id}       / TOPUP           a top-up and its provider status
  P#{payment_id}     / PAYMENT         a payment, what funded it, what was refunded; an authorization
                                       also carries hold_shard/hold_due (index open-holds)
  P#{payment_id}     / R#{refund_id}   its refunds
  O#{merchant}#{order} / ORDER         guard: one payment per merchant order
  M#{merchant_id}    / MERCHANT        a merchant that may take payments
  M#{merchant_id}    / RULES           its balance rules (a JSON document) and their version
  C#{checkout_id}    / CHECKOUT        a checkout: the merchant's priced order for one customer
  W#{user_id}        / CP#{coupon_id}  a coupon granted to the customer (its terms copied in)
  CD#{definition}    / DEFINITION      a coupon definition
  CD#{definition}    / BUDGET#{shard}  what is left of one shard of its budget
  CD#{definition}    / GRANTS#{user}   how many of it a customer was granted
  REWARDS            / RW#{reward_id}  the points catalogue (one small partition, read-mostly)
  TIERS              / CONFIG          the membership tiers
  PLANS              / TP#{plan_id}    a top-up bonus plan (one small partition, read by each top-up credit)
  RW#{reward_id}     / BY#{user}       how many times a customer redeemed it
  K#{merchant}#{order} / CHECKOUT      guard: one live checkout per merchant order (replaceable once expired)
  PROMOS             / PR#{promotion_id} a limited-time promotion (one small partition, read-mostly; ids
                                       begin with the start, so the ones that may be live are one range)
  I#{caller}#{key}   / IDEM            idempotency record, expires via TTL
  FB#{YYYY-MM}       / {created_at}#{feedback_id}
                                       feedback on a transaction (kind "feedback"), partitioned by the UTC
                                       month of created_at: the admin listing Queries one month at a time,
                                       newest first (rating, tag, merchant are filter expressions)
  FS#{kind}#{id}     / FEEDBACK        guard: one feedback per transaction (kind payment|topup|entry)
"""
from __future__ import annotations

from typing import Any

from pynamodb.attributes import (
    BooleanAttribute,
    JSONAttribute,
    ListAttribute,
    MapAttribute,
    NumberAttribute,
    TTLAttribute,
    UnicodeAttribute,
)
from pynamodb.indexes import GlobalSecondaryIndex, KeysOnlyProjection
from pynamodb.models import Model

from ..config import get_settings

TTL_ATTRIBUTE = "expires_at"


def _meta(**extra: Any) -> type:
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


HOLD_SHARDS = 8  # open authorizations are spread over this many index partitions


class OpenHolds(GlobalSecondaryIndex):
    """Sparse index of the authorizations still on hold, by shard and end: the sweeper's work list.
    Only an authorized payment carries ``hold_shard``/``hold_due``; settling it removes them."""

    class Meta:
        index_name = "open-holds"
        projection = KeysOnlyProjection()
        billing_mode = "PAY_PER_REQUEST"

    hold_shard = UnicodeAttribute(hash_key=True)
    hold_due = UnicodeAttribute(range_key=True)


BONUS_SHARDS = 8  # wallets with expiring bonus are spread over this many index partitions
REMIND_SHARDS = 8  # wallets that asked for run-out reminders, likewise


class BonusDue(GlobalSecondaryIndex):
    """Sparse index of the wallets holding bonus that expires, by shard and soonest expiry: the expiry job's
    and the bonus-expiry reminder's work list. Only a wallet with an expiring grant carries ``bonus_shard``."""

    class Meta:
        index_name = "bonus-due"
        projection = KeysOnlyProjection()
        billing_mode = "PAY_PER_REQUEST"

    bonus_shard = UnicodeAttribute(hash_key=True)
    bonus_due = UnicodeAttribute(range_key=True)


class RemindList(GlobalSecondaryIndex):
    """Sparse index of the wallets whose customer asked for run-out reminders (``remind_shard`` set)."""

    class Meta:
        index_name = "reminders"
        projection = KeysOnlyProjection()
        billing_mode = "PAY_PER_REQUEST"

    remind_shard = UnicodeAttribute(hash_key=True)
    user_id = UnicodeAttribute(range_key=True)


class LedgerItem(Model):
    """Keys shared by every item in the table."""

    Meta = _meta()
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


class WalletItem(LedgerItem):
    Meta = _meta()
    user_id = UnicodeAttribute()
    currency = UnicodeAttribute()
    cash = NumberAttribute(default=0)
    bonus = NumberAttribute(default=0)
    version = NumberAttribute(default=0)
    low_balance_threshold = NumberAttribute(default=0)
    # balance spent per merchant on the merchant's current local day: {merchant_id: [day, amount]}
    daily_spend = JSONAttribute(null=True)
    held_cash = NumberAttribute(default=0)
    held_bonus = NumberAttribute(default=0)
    points = JSONAttribute(null=True)  # the points account (chalicelib.domain.points.PointsAccount.as_doc)
    points_version = NumberAttribute(null=True)  # = points["version"]: the condition of every points change
    spend_months = JSONAttribute(null=True)  # balance spent per UTC month: {"YYYY-MM": fen} (membership)
    tier = UnicodeAttribute(null=True)  # the membership tier last written
    tier_since = UnicodeAttribute(null=True)  # the day it was reached
    bonus_grants = JSONAttribute(null=True)  # [[grant_id, amount, expires_at | null, source], ...]
    spend_days = JSONAttribute(null=True)  # balance spent per UTC day, last 30 days: {"YYYY-MM-DD": fen}
    plan_uses = JSONAttribute(null=True)  # top-up plan -> bonuses received from it (per-customer limits)
    updated_at = UnicodeAttribute(null=True)
    # reminder settings, one attribute each so a partial settings write sets only what it names (no read):
    # absent means the default (chalicelib.domain.reminders); remind_bonus_days 0 means off
    remind_low_balance = BooleanAttribute(null=True)
    remind_run_out_days = NumberAttribute(null=True)  # set together with remind_shard (index reminders)
    remind_bonus_days = NumberAttribute(null=True)
    remind_email = UnicodeAttribute(null=True)


class EntryItem(LedgerItem):
    Meta = _meta()
    user_id = UnicodeAttribute()
    seq = NumberAttribute()
    entry_id = UnicodeAttribute()
    type = UnicodeAttribute()
    d_cash = NumberAttribute()
    d_bonus = NumberAttribute()
    after_cash = NumberAttribute()
    after_bonus = NumberAttribute()
    d_held_cash = NumberAttribute(null=True)
    d_held_bonus = NumberAttribute(null=True)
    after_held_cash = NumberAttribute(null=True)
    after_held_bonus = NumberAttribute(null=True)
    refs = MapAttribute(default=dict)
    created_at = UnicodeAttribute()


class PointsEntryItem(LedgerItem):
    Meta = _meta()
    user_id = UnicodeAttribute()
    seq = NumberAttribute()
    entry_id = UnicodeAttribute()
    type = UnicodeAttribute()
    spent = NumberAttribute(default=0)
    earned = NumberAttribute(default=0)
    returned = NumberAttribute(default=0)
    clawed = NumberAttribute(default=0)
    shortfall = NumberAttribute(default=0)
    held = NumberAttribute(default=0)
    delta = NumberAttribute()
    after = JSONAttribute()
    refs = MapAttribute(default=dict)
    created_at = UnicodeAttribute()


class TopupItem(LedgerItem):
    Meta = _meta()
    option_id = UnicodeAttribute(null=True)  # the top-up option the customer chose, if any
    topup_id = UnicodeAttribute()
    user_id = UnicodeAttribute()
    amount = NumberAttribute()
    channel = UnicodeAttribute()
    status = UnicodeAttribute()
    provider_ref = UnicodeAttribute(null=True)
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute(null=True)
    bonus = NumberAttribute(null=True)  # credited with it, set when it is credited
    plan_id = UnicodeAttribute(null=True)


class PaymentItem(LedgerItem):
    Meta = _meta()
    payment_id = UnicodeAttribute()
    user_id = UnicodeAttribute()
    merchant_id = UnicodeAttribute()
    order_id = UnicodeAttribute()
    amount = NumberAttribute()
    funded_cash = NumberAttribute()
    funded_bonus = NumberAttribute()
    refunded_cash = NumberAttribute(default=0)
    refunded_bonus = NumberAttribute(default=0)
    version = NumberAttribute(default=0)
    items = JSONAttribute()
    created_at = UnicodeAttribute()
    checkout_id = UnicodeAttribute(null=True)
    discount = NumberAttribute(default=0)
    external = NumberAttribute(default=0)
    rules_version = NumberAttribute(null=True)
    coupon_id = UnicodeAttribute(null=True)
    coupon_discount = NumberAttribute(default=0)
    points_spent = NumberAttribute(default=0)
    points_earned = NumberAttribute(default=0)
    points_returned = NumberAttribute(default=0)
    points_clawed = NumberAttribute(default=0)
    status = UnicodeAttribute(null=True)  # None: succeeded (payments from before authorizations)
    hold_expires_at = UnicodeAttribute(null=True)  # not "expires_at": that is the table's TTL attribute
    bonus_from = JSONAttribute(null=True)  # [[grant_id, amount, expires_at, source], ...] still drawn
    local_day = UnicodeAttribute(null=True)
    promotion_discount = NumberAttribute(null=True)
    promotions = JSONAttribute(null=True)  # the promotions applied: [{promotion_id, kind, amount, factor}]
    points_factor_percent = NumberAttribute(null=True)  # a promotion's points factor it was priced with


class RefundItem(LedgerItem):
    Meta = _meta()
    refund_id = UnicodeAttribute()
    payment_id = UnicodeAttribute()
    amount = NumberAttribute()
    r_cash = NumberAttribute()
    r_bonus = NumberAttribute()
    reason = UnicodeAttribute()
    points_returned = NumberAttribute(default=0)
    points_clawed = NumberAttribute(default=0)
    created_at = UnicodeAttribute()


class OrderItem(LedgerItem):
    Meta = _meta()
    payment_id = UnicodeAttribute()
    released = BooleanAttribute(null=True)  # its authorization was voided or expired: the order may be paid again


class MerchantItem(LedgerItem):
    Meta = _meta()
    merchant_id = UnicodeAttribute()
    name = UnicodeAttribute()
    status = UnicodeAttribute()
    updated_at = UnicodeAttribute(null=True)


class RulesItem(LedgerItem):
    Meta = _meta()
    merchant_id = UnicodeAttribute()
    version = NumberAttribute()
    document = JSONAttribute()
    updated_at = UnicodeAttribute()


class CouponDefinitionItem(LedgerItem):
    Meta = _meta()
    definition_id = UnicodeAttribute()
    terms = JSONAttribute()
    per_customer_limit = NumberAttribute()
    budget_count = NumberAttribute(null=True)
    budget_amount = NumberAttribute(null=True)
    version = NumberAttribute()
    updated_at = UnicodeAttribute()


class CouponBudgetItem(LedgerItem):
    """One shard of a definition's budget: what is left of it."""

    Meta = _meta()
    count_left = NumberAttribute(null=True)
    amount_left = NumberAttribute(null=True)


class CouponGrantsItem(LedgerItem):
    """How many coupons of a definition a customer was granted (per_customer_limit)."""

    Meta = _meta()
    granted = NumberAttribute()


class CouponItem(LedgerItem):
    Meta = _meta()
    coupon_id = UnicodeAttribute()
    user_id = UnicodeAttribute()
    terms = JSONAttribute()
    state = UnicodeAttribute()
    granted_at = UnicodeAttribute()
    payment_id = UnicodeAttribute(null=True)
    budget_shard = NumberAttribute(null=True)


class TopupPlanItem(LedgerItem):
    """A top-up bonus plan: its terms (a JSON document) and version."""

    Meta = _meta()
    plan_id = UnicodeAttribute()
    document = JSONAttribute()
    version = NumberAttribute()
    updated_at = UnicodeAttribute()


class TiersItem(LedgerItem):
    """The membership tiers: one document, versioned."""

    Meta = _meta()
    tiers = JSONAttribute()
    version = NumberAttribute()
    updated_at = UnicodeAttribute()


class RewardItem(LedgerItem):
    """A reward of the points catalogue; ``stock`` is what is left."""

    Meta = _meta()
    reward_id = UnicodeAttribute()
    name = UnicodeAttribute()
    reward_kind = UnicodeAttribute()
    points_cost = NumberAttribute()
    coupon_definition_id = UnicodeAttribute(null=True)
    stock = NumberAttribute()
    per_customer_limit = NumberAttribute()
    active = BooleanAttribute()
    updated_at = UnicodeAttribute()


class RedemptionsItem(LedgerItem):
    """How many times a customer redeemed a reward (its per-customer limit)."""

    Meta = _meta()
    redeemed = NumberAttribute()


class PromotionItem(LedgerItem):
    """A limited-time promotion; ``status`` moves pending -> scheduled -> active -> ended, or to cancelled,
    each change conditioned on ``version`` (a stream consumer reads the change from the old and new images)."""

    Meta = _meta()
    promotion_id = UnicodeAttribute()
    name = UnicodeAttribute()
    merchant_id = UnicodeAttribute(null=True)  # None: every merchant
    starts_at = UnicodeAttribute()
    ends_at = UnicodeAttribute()
    effect_kind = UnicodeAttribute()
    effect = JSONAttribute()
    status = UnicodeAttribute()
    version = NumberAttribute()
    created_at = UnicodeAttribute()
    created_by = UnicodeAttribute()
    updated_at = UnicodeAttribute(null=True)
    activated_at = UnicodeAttribute(null=True)
    finished_at = UnicodeAttribute(null=True)
    cancelled_at = UnicodeAttribute(null=True)
    request_hash = UnicodeAttribute(null=True)
    grant = JSONAttribute(null=True)  # {state, cursor, granted, skipped, pages} of a grant_coupon start


class CheckoutItem(LedgerItem):
    Meta = _meta()
    checkout_id = UnicodeAttribute()
    merchant_id = UnicodeAttribute()
    order_id = UnicodeAttribute()
    user_id = UnicodeAttribute()
    lines = JSONAttribute()
    status = UnicodeAttribute()
    created_at = UnicodeAttribute()
    expires_at = UnicodeAttribute()
    payment_id = UnicodeAttribute(null=True)
    cancelled_at = UnicodeAttribute(null=True)
    cancel_reason = UnicodeAttribute(null=True)


class CheckoutGuardItem(LedgerItem):
    Meta = _meta()
    checkout_id = UnicodeAttribute()
    expires_epoch = NumberAttribute()


NOTIFICATION_TTL_DAYS = 180
NOTIFICATION_KEY_TTL_DAYS = 90  # longer than any redelivery, a week's run-out key, a grant's reminder window


class NotificationItem(LedgerItem):
    """One notification of a customer's inbox. The stream publisher turns its INSERT into
    ``notification.sent``: keep ``kind`` and the top-level names notification_id .. created_at."""

    Meta = _meta()
    notification_id = UnicodeAttribute()
    user_id = UnicodeAttribute()
    type = UnicodeAttribute()
    title = UnicodeAttribute()
    body = UnicodeAttribute()
    data = MapAttribute(default=dict)
    created_at = UnicodeAttribute()
    read_at = UnicodeAttribute(null=True)
    email_status = UnicodeAttribute(default="none")  # none | pending | sent
    email_to = UnicodeAttribute(null=True)
    email_claimed_at = UnicodeAttribute(null=True)  # a sender's claim on a pending e-mail (a lease)
    email_message_id = UnicodeAttribute(null=True)
    email_sent_at = UnicodeAttribute(null=True)
    dedupe_key = UnicodeAttribute(null=True)
    expires_at = TTLAttribute(null=True)


class NotificationKeyItem(LedgerItem):
    """Guard: the dedupe key of a notification was used, and by which one."""

    Meta = _meta()
    notification_id = UnicodeAttribute()
    expires_at = TTLAttribute(null=True)


class IdempotencyItem(LedgerItem):
    Meta = _meta()
    request_hash = UnicodeAttribute()
    status_code = NumberAttribute()
    body = JSONAttribute()
    created_at = UnicodeAttribute()
    expires_at = TTLAttribute()


class FeedbackItem(LedgerItem):
    """A customer's feedback on one transaction. The stream publisher turns its INSERT into the
    ``feedback.submitted`` event from these attribute names: keep them."""

    Meta = _meta()
    feedback_id = UnicodeAttribute()
    user_id = UnicodeAttribute()
    subject_kind = UnicodeAttribute()
    subject_id = UnicodeAttribute()
    rating = NumberAttribute()
    tags = ListAttribute(of=UnicodeAttribute, default=list)
    comment = UnicodeAttribute(null=True)
    merchant_id = UnicodeAttribute(null=True)
    created_at = UnicodeAttribute()


class FeedbackGuardItem(LedgerItem):
    """Guard: the one feedback a transaction has."""

    Meta = _meta()
    feedback_id = UnicodeAttribute()
    user_id = UnicodeAttribute()


def wallet_key(user_id: str) -> tuple[str, str]:
    return f"W#{user_id}", "WALLET"


def entry_key(user_id: str, seq: int) -> tuple[str, str]:
    return f"W#{user_id}", f"E#{seq:012d}"


def points_entry_key(user_id: str, seq: int) -> tuple[str, str]:
    return f"W#{user_id}", f"PE#{seq:012d}"


def notification_key(user_id: str, notification_id: str) -> tuple[str, str]:
    return f"W#{user_id}", f"N#{notification_id}"


def notification_guard_key(user_id: str, dedupe_key: str) -> tuple[str, str]:
    return f"W#{user_id}", f"NK#{dedupe_key}"


def topup_key(topup_id: str) -> tuple[str, str]:
    return f"T#{topup_id}", "TOPUP"


def payment_key(payment_id: str) -> tuple[str, str]:
    return f"P#{payment_id}", "PAYMENT"


def refund_key(payment_id: str, refund_id: str) -> tuple[str, str]:
    return f"P#{payment_id}", f"R#{refund_id}"


def order_key(merchant_id: str, order_id: str) -> tuple[str, str]:
    return f"O#{merchant_id}#{order_id}", "ORDER"


def merchant_key(merchant_id: str) -> tuple[str, str]:
    return f"M#{merchant_id}", "MERCHANT"


def rules_key(merchant_id: str) -> tuple[str, str]:
    return f"M#{merchant_id}", "RULES"


def coupon_key(user_id: str, coupon_id: str) -> tuple[str, str]:
    return f"W#{user_id}", f"CP#{coupon_id}"


def coupon_definition_key(definition_id: str) -> tuple[str, str]:
    return f"CD#{definition_id}", "DEFINITION"


def coupon_budget_key(definition_id: str, shard: int) -> tuple[str, str]:
    return f"CD#{definition_id}", f"BUDGET#{shard}"


def coupon_grants_key(definition_id: str, user_id: str) -> tuple[str, str]:
    return f"CD#{definition_id}", f"GRANTS#{user_id}"


def tiers_key() -> tuple[str, str]:
    return "TIERS", "CONFIG"


def reward_key(reward_id: str) -> tuple[str, str]:
    return "REWARDS", f"RW#{reward_id}"


def redemptions_key(reward_id: str, user_id: str) -> tuple[str, str]:
    return f"RW#{reward_id}", f"BY#{user_id}"


def checkout_key(checkout_id: str) -> tuple[str, str]:
    return f"C#{checkout_id}", "CHECKOUT"


def checkout_guard_key(merchant_id: str, order_id: str) -> tuple[str, str]:
    return f"K#{merchant_id}#{order_id}", "CHECKOUT"


PROMOTIONS_PK = "PROMOS"


def promotion_key(promotion_id: str) -> tuple[str, str]:
    return PROMOTIONS_PK, f"PR#{promotion_id}"


def idempotency_key(scope: str, key: str) -> tuple[str, str]:
    return f"I#{scope}#{key}", "IDEM"


def feedback_key(month: str, created_at: str, feedback_id: str) -> tuple[str, str]:
    return f"FB#{month}", f"{created_at}#{feedback_id}"


def feedback_month_key(month: str) -> str:
    return f"FB#{month}"


def feedback_guard_key(subject_kind: str, subject_id: str) -> tuple[str, str]:
    return f"FS#{subject_kind}#{subject_id}", "FEEDBACK"


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
            {"IndexName": i["index_name"],
             "KeySchema": sorted(i["key_schema"], key=lambda k: k["KeyType"]),
             "Projection": i["projection"]}
            for i in schema["global_secondary_indexes"]
        ]
    return definition
