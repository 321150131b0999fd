"""Operators' reports: the liability and the segment sizes (from the ledger) and the analyses of the export."""

from __future__ import annotations

from typing import Annotated, Optional

from pydantic import ConfigDict, Field

from .common import ID_MAX_LENGTH, IDENT_PATTERN, Out, Strict, UtcDay
from .wallet import BalanceOut


class LiabilityByAge(BalanceOut):
    age_days: str = Field(description="0-30, 31-90, 91-180, 181-365 or over_365: days since the money was credited")


class LiabilityByExpiry(BalanceOut):
    expires: str = Field(description="YYYY-MM of the bonus's expiry; never (cash, bonus without expiry); on_hold")


class LiabilityOut(Out):
    at: str
    wallets: int
    total: BalanceOut = Field(description="equals the reconciliation's totals.held at the same moment")
    by_age: list[LiabilityByAge]
    by_expiry: list[LiabilityByExpiry]


class DaysQuery(Strict):
    """A report's UTC days, both included: ``to`` defaults to today, ``from`` to 29 days before ``to``; at most
    366 days."""

    from_: Optional[UtcDay] = Field(None, alias="from")
    to: Optional[UtcDay] = None

    model_config = ConfigDict(extra="forbid", strict=True, defer_build=True, populate_by_name=False)


class PeriodQuery(DaysQuery):
    """A report's UTC days, both included: ``to`` defaults to today, ``from`` to 29 days before ``to``."""

    merchant_id: Optional[Annotated[str, Field(min_length=1, max_length=ID_MAX_LENGTH, pattern=IDENT_PATTERN)]] = Field(
        None, description="one merchant's (its staff must name it; an admin may leave it out for all)"
    )


class PeriodOut(Out):
    from_: str = Field(alias="from", serialization_alias="from")
    to: str

    model_config = ConfigDict(extra="forbid", defer_build=True, serialize_by_alias=True, populate_by_name=True)


class ObstacleRow(Out):
    merchant_id: str
    outcome: str = Field(description="full, partial or none: how much of the checkout balance paid")
    reason: str = Field(
        description="paid_by_balance; for the others each limit of the last quote (insufficient_balance, "
        "min_order_not_met, excluded_items, partial_payment_not_allowed, partial_share_capped, daily_limit, ...), "
        "when nothing held it back abandoned_after_quote (it expired or the shop cancelled it unpaid in the period) "
        "or open_after_quote (not ended by the period's last day); never_quoted"
    )
    checkouts: int
    amount: int = Field(description="the checkouts' amount, fen")
    topup_needed: int = Field(description="for insufficient_balance: what the customers lacked at their last quote")


class ObstaclesOut(PeriodOut):
    rows: list[ObstacleRow]


class BreakageFigures(Out):
    expired: int = Field(description="bonus that expired unused (bonus.expired), fen")
    customers: int = Field(description="the customers whose bonus expired")
    granted: int = Field(description="bonus granted with top-ups (topup.credited's bonus), fen")
    breakage_bp: Optional[int] = Field(
        description="expired / granted in basis points (1/10,000), rounded down; null when nothing was granted; "
        "above 10000 when more expired than was granted (it was granted months before)"
    )


class BreakageMonth(BreakageFigures):
    month: str = Field(description="YYYY-MM of the expiry; every month the period touches")


class BreakageOut(PeriodOut):
    months: list[BreakageMonth]
    total: BreakageFigures = Field(description="over the period; customers counted once")


class SalesFigures(Out):
    payments: int = Field(description="payment.succeeded: paid at once, or captured")
    sales: int = Field(
        description="the payments' order amount, fen: the checkout's priced lines, before the balance-pay "
        "discounts, a coupon and points, with the part paid outside the wallet"
    )
    external: int = Field(description="what of the sales the customers paid outside the wallet, fen")
    balance_paid: BalanceOut = Field(description="what the wallets paid, cash and bonus")
    refunds: int = Field(description="payment.refunded on the day (whatever day the payment was)")
    refunded: BalanceOut = Field(description="what those refunds gave back to the wallets")
    net: BalanceOut = Field(description="balance_paid less refunded (negative when refunds exceed the payments)")
    share_bp: Optional[int] = Field(
        description="net.total / sales in basis points (1/10,000: 6250 is 62.5 %), rounded down; null without sales"
    )


class BalanceShareRow(SalesFigures):
    merchant_id: str
    day: str = Field(description="the UTC day of the payment or refund")


class BalanceShareOut(PeriodOut):
    rows: list[BalanceShareRow]
    total: SalesFigures = Field(description="over the rows")


class SegmentDay(Out):
    day: str
    run_id: Optional[str] = Field(description="the day's last succeeded segmentation run (its as_of); null: none")
    finished_at: Optional[str]
    sizes: dict[str, int] = Field(description="every segment's size in that run; empty when no run")


class SegmentSizesOut(PeriodOut):
    days: list[SegmentDay]


class RatingFigures(Out):
    ratings: int
    average: Optional[float] = Field(description="the average rating, 2 decimals; null without ratings")
    distribution: dict[str, int] = Field(description="how many of each rating, keys 1 to 5")


class SegmentRatings(RatingFigures):
    segment: str = Field(description="the customer's segment when they rated; none when never segmented")


class TagRatings(RatingFigures):
    tag: str


class FeedbackReportOut(PeriodOut):
    total: RatingFigures
    by_segment: list[SegmentRatings]
    by_tag: list[TagRatings] = Field(description="a rating counts under each of its tags")
