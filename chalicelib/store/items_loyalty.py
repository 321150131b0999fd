"""The items of the loyalty programmes: coupons and their budgets and grants, top-up plans, membership
tiers, the rewards catalogue and its redemptions, promotions (keys: ``keys``)."""

from __future__ import annotations

from pynamodb.attributes import BooleanAttribute, JSONAttribute, NumberAttribute, UnicodeAttribute

from .table import LedgerItem, item_meta


class CouponDefinitionItem(LedgerItem):
    Meta = item_meta()
    definition_id = UnicodeAttribute()
    terms = JSONAttribute()
    per_customer_limit = NumberAttribute()
    budget_count = NumberAttribute(null=True)
    budget_amount = NumberAttribute(null=True)
    version = NumberAttribute()
    updated_at = UnicodeAttribute()


class CouponBudgetItem(LedgerItem):
    """One shard of a definition's budget: what is left of it."""

    Meta = item_meta()
    count_left = NumberAttribute(null=True)
    amount_left = NumberAttribute(null=True)


class CouponGrantsItem(LedgerItem):
    """How many coupons of a definition a customer was granted (per_customer_limit)."""

    Meta = item_meta()
    granted = NumberAttribute()


class CouponItem(LedgerItem):
    Meta = item_meta()
    coupon_id = UnicodeAttribute()
    user_id = UnicodeAttribute()
    terms = JSONAttribute()
    state = UnicodeAttribute()
    granted_at = UnicodeAttribute()
    payment_id = UnicodeAttribute(null=True)
    budget_shard = NumberAttribute(null=True)


class TopupPlanItem(LedgerItem):
    """A top-up bonus plan: its terms (a JSON document) and version."""

    Meta = item_meta()
    plan_id = UnicodeAttribute()
    document = JSONAttribute()
    version = NumberAttribute()
    updated_at = UnicodeAttribute()


class TiersItem(LedgerItem):
    """The membership tiers: one document, versioned."""

    Meta = item_meta()
    tiers = JSONAttribute()
    version = NumberAttribute()
    updated_at = UnicodeAttribute()


class RewardItem(LedgerItem):
    """A reward of the points catalogue; ``stock`` is what is left."""

    Meta = item_meta()
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

    Meta = item_meta()
    redeemed = NumberAttribute()


class PromotionItem(LedgerItem):
    """A limited-time promotion; ``status`` moves pending -> scheduled -> active -> ended, or to cancelled,
    each change conditioned on ``version`` (a stream consumer reads the change from the old and new images)."""

    Meta = item_meta()
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


class LivePromotionsItem(LedgerItem):
    """What pricing needs of every scheduled or active promotion, in one item (``PROMOS / LIVE``), changed in the
    same transaction as each promotion's status, so that a cold configuration read takes it in the one
    TransactGetItems of the merchant, rules and tiers instead of querying the promotions' partition."""

    Meta = item_meta()
    promotions = JSONAttribute()  # [{promotion_id, name, merchant_id, starts_at, ends_at, effect, status, ...}]
    version = NumberAttribute()
