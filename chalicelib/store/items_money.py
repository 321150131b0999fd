"""The items of the money path: wallets, entries, top-ups, payments, refunds, orders, merchants and
their rules, checkouts, idempotency records (keys: ``keys``)."""

from __future__ import annotations

from pynamodb.attributes import (
    BooleanAttribute,
    JSONAttribute,
    ListAttribute,
    MapAttribute,
    NumberAttribute,
    TTLAttribute,
    UnicodeAttribute,
)

from .table import LedgerItem, item_meta


class WalletItem(LedgerItem):
    Meta = item_meta()
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
    marketing_email = BooleanAttribute(null=True)  # consent to marketing e-mail; absent: the default (on)


class EntryItem(LedgerItem):
    Meta = item_meta()
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
    Meta = item_meta()
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
    Meta = item_meta()
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
    Meta = item_meta()
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
    Meta = item_meta()
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
    Meta = item_meta()
    payment_id = UnicodeAttribute()
    released = BooleanAttribute(null=True)  # its authorization was voided or expired: the order may be paid again


class MerchantItem(LedgerItem):
    Meta = item_meta()
    merchant_id = UnicodeAttribute()
    name = UnicodeAttribute()
    status = UnicodeAttribute()
    updated_at = UnicodeAttribute(null=True)
    return_origins = ListAttribute(of=UnicodeAttribute, null=True)  # absent on items written before it: none


class RulesItem(LedgerItem):
    Meta = item_meta()
    merchant_id = UnicodeAttribute()
    version = NumberAttribute()
    document = JSONAttribute()
    updated_at = UnicodeAttribute()


class CheckoutItem(LedgerItem):
    Meta = item_meta()
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
    expired_at = UnicodeAttribute(null=True)  # when the sweeper expired it unpaid (store/checkout_expiry.py)


class CheckoutGuardItem(LedgerItem):
    Meta = item_meta()
    checkout_id = UnicodeAttribute()
    expires_epoch = NumberAttribute()


class IdempotencyItem(LedgerItem):
    Meta = item_meta()
    request_hash = UnicodeAttribute()
    status_code = NumberAttribute()
    body = JSONAttribute()
    created_at = UnicodeAttribute()
    expires_at = TTLAttribute()
