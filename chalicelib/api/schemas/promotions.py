"""Promotions: their effects (extra discount, points multiplier, coupon grant) and schedules."""

from __future__ import annotations

from ...domain import limits
from typing import Annotated, Literal, Optional

from pydantic import Field, StrictInt, StrictStr

from ...insight.segments import SEGMENTS
from .common import Fen, Ident, Instant, Out, Strict, Text


class ExtraBalanceDiscountIn(Strict):
    kind: Literal["extra_balance_discount"]
    percent: Annotated[
        StrictInt,
        Field(ge=1, le=limits.MAX_PROMOTION_DISCOUNT_PERCENT, description="off what balance pays for, rounded down"),
    ]
    max_amount: Optional[Fen] = Field(None, description="the most it takes off one order, fen (null: no cap)")


# The model takes the shape; the use case refuses a factor of 1 or less or above 10 (400 invalid_factor,
# chalicelib.domain.promotions.factor_percent). The document's pattern is the whole rule: 1.01-1.99, 2-9.99, 10.
FACTOR_PATTERN = r"^(1\.(0[1-9]|[1-9][0-9]?)|[2-9](\.[0-9]{1,2})?|10(\.00?)?)$"


class PointsMultiplierIn(Strict):
    kind: Literal["points_multiplier"]
    factor: Annotated[
        StrictStr,
        Field(
            pattern=r"^[0-9]{1,2}(\.[0-9]{1,2})?$",
            json_schema_extra={"pattern": FACTOR_PATTERN},
            description=(
                'a decimal string above 1 and at most 10, at most two decimals ("1.5"): kept as a whole percent, '
                "so no float reaches a points amount"
            ),
        ),
    ]


# The model takes up to 80 characters; the use case refuses what is neither a segment's name nor "tier:" and a
# tier's name (400 unknown_segment; unknown_tier for a tier that does not exist): the document says which names
# and "tier:" with a name's length (TierIn.name: 1-40).
SEGMENT_AUDIENCE_PATTERN = "^(" + "|".join(SEGMENTS) + ")$|^tier:"


class SegmentIn(Strict):
    segment: Annotated[
        StrictStr,
        Field(
            min_length=1,
            max_length=80,
            json_schema_extra={"pattern": SEGMENT_AUDIENCE_PATTERN, "minLength": 3, "maxLength": 45},
            description=(
                "a segment of the last segmentation run (its members then, docs/segments.md: "
                + ", ".join(SEGMENTS)
                + '), or "tier:<tier name>": the customers in that membership tier now'
            ),
        ),
    ]


class GrantCouponIn(Strict):
    kind: Literal["grant_coupon"]
    definition_id: Ident
    audience: Literal["all_balance_payers", "balance_payers_last_30_days"] | SegmentIn


class PromotionRequest(Strict):
    """``ends_at`` after ``starts_at``, at most PROMOTION_MAX_DAYS (90 by default) after it; ``starts_at`` not in the
    past (a minute's clock skew allowed). A merchant's staff name their merchant."""

    name: Text
    merchant_id: Optional[Ident] = Field(None, description="none: every merchant (admins only)")
    starts_at: Instant
    ends_at: Instant
    effect: Annotated[ExtraBalanceDiscountIn | PointsMultiplierIn | GrantCouponIn, Field(discriminator="kind")]


class PromotionsQuery(Strict):
    merchant_id: Optional[Ident] = None


class PromotionEffectOut(Out):
    kind: Literal["extra_balance_discount", "points_multiplier", "grant_coupon"]
    percent: Optional[int] = None
    max_amount: Optional[int] = None
    factor: Optional[str] = None
    definition_id: Optional[str] = None
    audience: Optional[str | dict[str, str]] = None


class GrantProgressOut(Out):
    state: Literal["not_started", "running", "done"]
    granted: int
    skipped: int


class PromotionOut(Out):
    promotion_id: str
    name: str
    merchant_id: Optional[str] = Field(description="none: every merchant")
    starts_at: str
    ends_at: str
    effect: PromotionEffectOut
    status: Literal["pending", "scheduled", "active", "ended", "cancelled"]
    created_at: str
    created_by: str
    updated_at: Optional[str]
    activated_at: Optional[str] = Field(description="when its start schedule fired")
    finished_at: Optional[str] = Field(description="when its end schedule fired")
    cancelled_at: Optional[str]
    schedules: list[str] = Field(description="its start and end schedules' names in the schedule group")
    grant: Optional[GrantProgressOut] = Field(description="grant_coupon: how far its start's grant has gone")


class PromotionsPage(Out):
    promotions: list[PromotionOut]
