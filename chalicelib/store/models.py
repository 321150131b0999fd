"""The ledger table's models, by one name: the table (``table``), its items (``items_money``,
``items_loyalty``, ``items_messages``) and their keys and shards (``keys``).

Code outside the store (dev/, infra/, tests, benchmarks) imports from here; the store's own modules import
from here too, so an item moving between the item modules changes no importer.
"""
from __future__ import annotations

from .items_loyalty import (
    CouponBudgetItem,
    CouponDefinitionItem,
    CouponGrantsItem,
    CouponItem,
    LivePromotionsItem,
    PromotionItem,
    RedemptionsItem,
    RewardItem,
    TiersItem,
    TopupPlanItem,
)
from .items_messages import (
    NOTIFICATION_KEY_TTL_DAYS,
    NOTIFICATION_TTL_DAYS,
    FeedbackGuardItem,
    FeedbackItem,
    NotificationItem,
    NotificationKeyItem,
)
from .items_money import (
    CheckoutGuardItem,
    CheckoutItem,
    EntryItem,
    IdempotencyItem,
    MerchantItem,
    OrderItem,
    PaymentItem,
    PointsEntryItem,
    RefundItem,
    RulesItem,
    TopupItem,
    WalletItem,
)
from .keys import (
    BONUS_SHARDS,
    HOLD_SHARDS,
    PROMOTIONS_PK,
    REMIND_SHARDS,
    checkout_guard_key,
    checkout_key,
    coupon_budget_key,
    coupon_definition_key,
    coupon_grants_key,
    coupon_key,
    entry_key,
    feedback_guard_key,
    feedback_key,
    feedback_month_key,
    idempotency_key,
    merchant_key,
    notification_guard_key,
    notification_key,
    order_key,
    payment_key,
    points_entry_key,
    live_promotions_key,
    promotion_key,
    redemptions_key,
    refund_key,
    reward_key,
    rules_key,
    tiers_key,
    topup_key,
    topup_plan_key,
    wallet_key,
)
from .table import TTL_ATTRIBUTE, BonusDue, LedgerItem, OpenHolds, RemindList, item_meta, table_definition

__all__ = [
    # the table
    "TTL_ATTRIBUTE", "LedgerItem", "OpenHolds", "BonusDue", "RemindList", "item_meta", "table_definition",
    # the items
    "WalletItem", "EntryItem", "PointsEntryItem", "TopupItem", "PaymentItem", "RefundItem", "OrderItem",
    "MerchantItem", "RulesItem", "CheckoutItem", "CheckoutGuardItem", "IdempotencyItem",
    "CouponDefinitionItem", "CouponBudgetItem", "CouponGrantsItem", "CouponItem", "TopupPlanItem", "TiersItem",
    "RewardItem", "RedemptionsItem", "PromotionItem", "LivePromotionsItem",
    "NOTIFICATION_TTL_DAYS", "NOTIFICATION_KEY_TTL_DAYS", "NotificationItem", "NotificationKeyItem",
    "FeedbackItem", "FeedbackGuardItem",
    # keys and shards
    "HOLD_SHARDS", "BONUS_SHARDS", "REMIND_SHARDS", "PROMOTIONS_PK",
    "wallet_key", "entry_key", "points_entry_key", "notification_key", "notification_guard_key", "coupon_key",
    "topup_key", "payment_key", "refund_key", "order_key", "merchant_key", "rules_key", "checkout_key",
    "checkout_guard_key", "coupon_definition_key", "coupon_budget_key", "coupon_grants_key", "tiers_key",
    "reward_key", "redemptions_key", "topup_plan_key", "promotion_key", "live_promotions_key", "idempotency_key", "feedback_key",
    "feedback_month_key", "feedback_guard_key",
]
