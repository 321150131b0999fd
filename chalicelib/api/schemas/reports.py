"""Operators' reports: the liability (from the ledger) and the analyses of the export."""

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


class PeriodQuery(Strict):
    """A report's UTC days, both included: ``to`` defaults to today, ``from`` to 29 days before ``to``."""

    from_: Optional[UtcDay] = Field(None, alias="from")
    to: Optional[UtcDay] = None
    merchant_id: Optional[Annotated[str, Field(min_length=1, max_length=ID_MAX_LENGTH, pattern=IDENT_PATTERN)]] = Field(
        None, description="one merchant's (its staff must name it; an admin may leave it out for all)"
    )

    model_config = ConfigDict(extra="forbid", strict=True, defer_build=True, populate_by_name=False)


class ObstacleRow(Out):
    merchant_id: str
    outcome: str = Field(description="full, partial or none: how much of the checkout balance paid")
    reason: str = Field(
        description="paid_by_balance; for the others each limit of the last quote (insufficient_balance, "
        "min_order_not_met, excluded_items, partial_payment_not_allowed, partial_share_capped, daily_limit, ...), "
        "abandoned_after_quote or never_quoted"
    )
    checkouts: int
    amount: int = Field(description="the checkouts' amount, fen")
    topup_needed: int = Field(description="for insufficient_balance: what the customers lacked at their last quote")


class ObstaclesOut(Out):
    from_: str = Field(alias="from", serialization_alias="from")
    to: str
    rows: list[ObstacleRow]

    model_config = ConfigDict(extra="forbid", defer_build=True, serialize_by_alias=True, populate_by_name=True)
