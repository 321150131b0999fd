"""Coupon definitions, their grants, and a customer's coupons."""

from __future__ import annotations

from ...domain import limits
from typing import Annotated, Literal, Optional

from pydantic import ConfigDict, Field, StrictInt
from pydantic.config import JsonDict

from .common import JSON_SAFE, Fen, Ident, Instant, NonNegativeFen, Out, PerCustomerLimit, Strict, Text


# what put_definition refuses beyond the fields (400 invalid_request): a percent_off value above 100
_PERCENT_AT_MOST_100: JsonDict = {
    "anyOf": [
        {"properties": {"kind": {"const": "amount_off"}}},
        {"properties": {"kind": {"const": "percent_off"}, "value": {"maximum": 100}}},
    ]
}


class CouponDefinitionRequest(Strict):
    """A percent_off ``value`` is 1 to 100; ``valid_to`` is after ``valid_from``."""

    model_config = ConfigDict(json_schema_extra=_PERCENT_AT_MOST_100)

    name: Text
    kind: Literal["amount_off", "percent_off"]
    value: Annotated[StrictInt, Field(gt=0, le=JSON_SAFE, description="fen off, or percent off (1-100)")]
    max_discount: Optional[Fen] = None
    min_spend: NonNegativeFen = 0
    merchant_id: Optional[Ident] = None
    balance_pay_only: bool = False
    valid_from: Instant
    valid_to: Instant
    per_customer_limit: PerCustomerLimit = 1
    budget_count: Optional[Annotated[StrictInt, Field(ge=1, le=10**9)]] = None
    budget_amount: Optional[Fen] = None
    budget_shards: Annotated[
        StrictInt,
        Field(
            ge=1,
            le=limits.MAX_BUDGET_SHARDS,
            description=(
                "counters the budget is split over (fixed at creation): more spread many payers' writes, "
                "fewer keep the last uses from being spread thin"
            ),
        ),
    ] = 8


class GrantRequest(Strict):
    user_ids: Annotated[list[Ident], Field(min_length=1, max_length=limits.MAX_GRANTS_PER_REQUEST)]


class CouponsQuery(Strict):
    state: Optional[Literal["available", "held", "used", "expired"]] = None


class CouponTermsOut(Out):
    definition_id: str
    name: str
    kind: str
    value: int
    max_discount: Optional[int]
    min_spend: int
    merchant_id: Optional[str]
    balance_pay_only: bool
    valid_from: str
    valid_to: str


class CouponDefinitionOut(CouponTermsOut):
    per_customer_limit: int
    budget_count: Optional[int]
    budget_amount: Optional[int]
    budget_shards: int
    version: int


class GrantSkip(Out):
    user_id: str
    code: Literal["limit_reached", "definition_expired"]


class GrantOut(Out):
    definition_id: str
    granted: int
    skipped: list[GrantSkip]


class CouponOut(CouponTermsOut):
    coupon_id: str
    state: Literal["available", "held", "used", "expired"]
    payment_id: Optional[str]
    granted_at: str


class CouponsPage(Out):
    user_id: str
    coupons: list[CouponOut]
