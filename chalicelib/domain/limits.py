"""The business limits, by name. The request schemas state them to clients (and refuse what passes them);
the use cases and the pricing read them from here, so each limit is written once."""

from __future__ import annotations

MAX_BALANCE_PAY_DISCOUNT_PERCENT = 90  # a merchant's discount for paying by balance
MAX_TIER_DISCOUNT_PERCENT = 50  # a membership tier's discount on what balance pays
MAX_PROMOTION_DISCOUNT_PERCENT = 50  # a promotion's extra balance discount
MAX_TOTAL_DISCOUNT_PERCENT = (
    90  # the merchant's, the tier's and a promotion's discounts together, of what balance covers
)
MAX_GRANTS_PER_REQUEST = 500  # customers one coupon-grant request names
MAX_BUDGET_SHARDS = 64  # counters a coupon definition's budget is split into
MAX_TIERS = 20
MAX_ORDER_LINES = 200  # lines of one checkout
MAX_LINE_QUANTITY = 10_000
MAX_PER_CUSTOMER_LIMIT = 1_000  # coupons of a definition, or bonuses of a top-up plan, one customer may get
MAX_TIER_POINTS_MULTIPLIER = 10
