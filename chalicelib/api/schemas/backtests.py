"""Backtests of a merchant's proposed configuration (docs/backtests.md). The proposal's parts are the very models
the routes that set them validate: the balance rules' document, a coupon definition, a promotion's effect."""

from __future__ import annotations

from typing import Annotated, Any, Literal, Optional

from pydantic import ConfigDict, Field, StrictInt, model_validator

from .balance_rules import BalanceRulesRequest
from .common import Out, Strict, Text
from .coupons import CouponDefinitionRequest
from .promotions import ExtraBalanceDiscountIn, PointsMultiplierIn


class BacktestPromotion(Strict):
    """A promotion's effect, as ``POST /v1/admin/promotions`` takes it, applied over the whole replayed period. Of
    its effects, those that change a price: a grant_coupon effect grants a coupon (backtest that coupon as
    ``coupon_definition`` instead)."""

    name: Optional[Text] = None
    effect: Annotated[ExtraBalanceDiscountIn | PointsMultiplierIn, Field(discriminator="kind")]

    @model_validator(mode="before")
    @classmethod
    def _no_coupon_grant(cls, data: Any) -> Any:
        effect = data.get("effect") if isinstance(data, dict) else None
        if isinstance(effect, dict) and effect.get("kind") == "grant_coupon":
            raise ValueError(
                "a grant_coupon promotion changes no price: backtest the coupon it grants as coupon_definition"
            )
        return data


class BacktestRequest(Strict):
    """What to try: any of the three (none: the current configuration against itself), over the last ``days``."""

    balance_rules: Optional[BalanceRulesRequest] = Field(
        None, description="the whole rules document, as PUT .../balance-rules takes it (a field left out: its default)"
    )
    coupon_definition: Optional[CouponDefinitionRequest] = Field(
        None,
        description=(
            "a coupon every customer is taken to hold (per_customer_limit of them) over the whole period, whatever "
            "its validity window; its budget counts"
        ),
    )
    promotion: Optional[BacktestPromotion] = None
    days: Annotated[StrictInt, Field(ge=1, le=90, description="the days replayed, up to today (UTC)")]


class BacktestQueuedOut(Out):
    backtest_id: str = Field(description="the new backtest's id; or the one queued or running with the same proposal")
    merchant_id: str
    state: Literal["queued", "running"]
    days: int
    requested_at: str


class BacktestDiscountsOut(Out):
    balance_pay: int
    tier: int
    promotion: int
    coupon: int


class BacktestSideOut(Out):
    checkouts: int = Field(description="checkouts replayed")
    amount: int = Field(description="their orders' amounts, fen")
    payable: int = Field(description="checkouts the customer could pay as they asked")
    fully_payable: int = Field(description="... with nothing left to pay outside balance, points and coupon")
    balance_paid: int = Field(description="what balance pays of the payable ones, fen")
    balance_share_bp: Optional[int] = Field(description="balance_paid of amount, basis points; null for no amount")
    discount_cost: int = Field(description="the discounts given on the payable ones, fen")
    discounts: BacktestDiscountsOut
    coupons_used: int
    points_spent: int
    points_issued: int = Field(description="points the payable ones earn")
    points_liability: int = Field(description="what the points issued are worth, fen")
    customers: int = Field(description="customers with a payable checkout")


class BacktestDifferenceOut(Out):
    """proposed minus current, and what changed checkout by checkout."""

    checkouts: int
    amount: int
    payable: int
    fully_payable: int
    balance_paid: int
    balance_share_bp: Optional[int]
    discount_cost: int
    discounts: BacktestDiscountsOut
    coupons_used: int
    points_spent: int
    points_issued: int
    points_liability: int
    customers: int
    became_payable: int = Field(description="checkouts balance pays in full under the proposal, not now")
    stopped_being_payable: int = Field(description="checkouts balance pays in full now, not under the proposal")
    checkouts_changed: int
    customers_affected: int = Field(description="customers with a checkout priced otherwise")


class BacktestPriceOut(Out):
    payable: bool
    fully_payable: bool
    balance: int
    discount: int
    points_spent: int
    points_issued: int
    refusal: Optional[str]


class BacktestExampleOut(Out):
    checkout_id: str
    user_id: str
    at: str
    amount: int
    current: BacktestPriceOut
    proposed: BacktestPriceOut


class BacktestRecordedOut(Out):
    paid: int = Field(description="replayed checkouts whose order was paid (payment.succeeded)")
    balance_paid: int = Field(description="what balance paid of them then, fen")


class BacktestNotReplayedOut(Out):
    never_quoted: int = Field(description="checkouts opened in the period no open quote recorded funds for")


class BacktestReportOut(Out):
    from_: str = Field(alias="from")
    to: str
    replayed: int
    not_replayed: BacktestNotReplayedOut
    coupons_not_found: int = Field(description="customers' coupons the quotes named that the ledger no longer holds")
    current: BacktestSideOut
    proposed: BacktestSideOut
    difference: BacktestDifferenceOut
    recorded: BacktestRecordedOut
    examples: list[BacktestExampleOut] = Field(description="the first checkouts priced otherwise (at most 20)")

    model_config = ConfigDict(extra="forbid", defer_build=True, serialize_by_alias=True)


class BacktestOut(Out):
    backtest_id: str
    merchant_id: str
    state: Literal["queued", "running", "succeeded", "failed"]
    days: int
    from_: Optional[str] = Field(alias="from", description="the first day replayed, once it runs")
    to: Optional[str]
    proposal: dict[str, Any]
    requested_by: str
    requested_at: str
    started_at: Optional[str]
    finished_at: Optional[str]
    report: Optional[BacktestReportOut] = Field(description="once it succeeded")
    error: Optional[str]

    model_config = ConfigDict(extra="forbid", defer_build=True, serialize_by_alias=True)
