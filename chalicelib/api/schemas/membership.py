"""Membership tiers (as an admin sets them) and a customer's membership."""

from __future__ import annotations

from ...domain import limits
from typing import Annotated, Optional, Union

from pydantic import ConfigDict, Field, StrictFloat, StrictInt, StrictStr

from .common import JSON_SAFE, Out, Strict


class TierIn(Strict):
    name: Annotated[StrictStr, Field(min_length=1, max_length=40)]
    threshold: Annotated[StrictInt, Field(ge=0, le=JSON_SAFE, description="fen of balance spent over 12 months")]
    # the range on each member of the union: on the union itself pydantic writes ge/le, which JSON Schema lacks;
    # two decimals at most: put_tiers refuses more (400), the document says multipleOf 0.01 (in the document only:
    # a float's remainder is not exact, the use case checks the decimal it spells)
    points_multiplier: Annotated[
        Union[
            Annotated[StrictInt, Field(ge=1, le=limits.MAX_TIER_POINTS_MULTIPLIER)],
            Annotated[
                StrictFloat, Field(ge=1, le=limits.MAX_TIER_POINTS_MULTIPLIER, json_schema_extra={"multipleOf": 0.01})
            ],
        ],
        Field(description="points earned x this (1 to 10, two decimals)"),
    ]
    balance_pay_discount_percent: Annotated[StrictInt, Field(ge=0, le=limits.MAX_TIER_DISCOUNT_PERCENT)] = 0

    model_config = ConfigDict(extra="forbid", strict=False, defer_build=True)


class TiersRequest(Strict):
    # put_tiers refuses (400) tiers whose thresholds do not start at 0 and rise strictly, or names used twice: the
    # document states the first tier's 0 (prefixItems); the rest compares items, which JSON Schema cannot
    tiers: Annotated[
        list[TierIn],
        Field(
            min_length=1,
            max_length=limits.MAX_TIERS,
            json_schema_extra={
                "prefixItems": [{"$ref": "#/components/schemas/TierIn", "properties": {"threshold": {"const": 0}}}]
            },
            description="thresholds rising strictly from 0, names unique",
        ),
    ]


class TierOut(Out):
    name: str
    threshold: int
    points_multiplier: float
    balance_pay_discount_percent: int


class TiersOut(Out):
    version: int
    tiers: list[TierOut]


class DowngradeWarning(Out):
    to_tier: Optional[str]
    on: str


class MembershipOut(Out):
    user_id: str
    tier: Optional[TierOut]
    rolling_spend: int = Field(description="balance spent over the current month and the 11 before, in fen")
    next_tier: Optional[TierOut]
    to_next_tier: Optional[int]
    downgrade_warning: Optional[DowngradeWarning]
