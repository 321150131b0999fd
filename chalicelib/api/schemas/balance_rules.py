"""A merchant's balance rules: when and how much balance may pay."""

from __future__ import annotations

from ...domain import limits
from typing import Annotated, Any, Literal, Optional

from pydantic import ConfigDict, Field, StrictInt, StrictStr
from pydantic.config import JsonDict

from .common import Fen, Ident, NonNegativeFen, Out, Strict


HHMM = Annotated[StrictStr, Field(pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$")]
Day = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
Percent = Annotated[StrictInt, Field(ge=0, le=100)]


class WindowIn(Strict):
    days: Annotated[list[Day], Field(min_length=1, max_length=7)]
    from_: HHMM = Field(alias="from")
    to: HHMM

    model_config = ConfigDict(extra="forbid", strict=True, defer_build=True, populate_by_name=False)


# what the rules' view refuses beyond the fields (400 invalid_request): windows go with in_windows, which needs one
# (a window whose from is its to is refused too: a comparison of two fields, which JSON Schema cannot state)
_WINDOWS_WITH_IN_WINDOWS: JsonDict = {
    "anyOf": [
        {
            "required": ["allowed", "windows"],
            "properties": {"allowed": {"const": "in_windows"}, "windows": {"minItems": 1}},
        },
        {"properties": {"allowed": {"enum": ["always", "never"]}, "windows": {"maxItems": 0}}},
    ]
}


class PartialPayIn(Strict):
    """``windows`` (at least one, each with ``from`` other than ``to``) only with ``allowed`` = in_windows."""

    model_config = ConfigDict(json_schema_extra=_WINDOWS_WITH_IN_WINDOWS)

    allowed: Literal["always", "never", "in_windows"] = "always"
    windows: Annotated[list[WindowIn], Field(max_length=28)] = []
    max_share_percent: Annotated[StrictInt, Field(ge=1, le=100)] = 100


class DiscountIn(Strict):
    percent: Annotated[StrictInt, Field(ge=0, le=limits.MAX_BALANCE_PAY_DISCOUNT_PERCENT)] = 0
    max_amount: Optional[NonNegativeFen] = None


def _iana_time_zones(schema: dict[str, Any]) -> None:
    """The zones the rules' view accepts (it refuses any other, 400 invalid_timezone), read when the document is
    built: the import stays cheap."""
    from zoneinfo import available_timezones

    schema["enum"] = sorted(available_timezones())


class BalanceRulesRequest(Strict):
    min_order_amount: NonNegativeFen = 0
    excluded_skus: Annotated[list[Ident], Field(max_length=1000)] = []
    excluded_categories: Annotated[list[Ident], Field(max_length=1000)] = []
    partial_pay: PartialPayIn = PartialPayIn()
    balance_pay_discount: DiscountIn = DiscountIn()
    daily_limit: Optional[Fen] = None
    timezone: Annotated[
        StrictStr,
        Field(min_length=1, max_length=64, json_schema_extra=_iana_time_zones, description="an IANA time zone"),
    ] = "Asia/Shanghai"


class WindowOut(Out):
    days: list[str]
    from_: str = Field(alias="from")
    to: str

    model_config = ConfigDict(extra="forbid", defer_build=True, serialize_by_alias=True)


class PartialPayOut(Out):
    allowed: str
    windows: list[WindowOut]
    max_share_percent: int


class DiscountRuleOut(Out):
    percent: int
    max_amount: Optional[int]


class BalanceRulesOut(Out):
    merchant_id: str
    version: int
    min_order_amount: int
    excluded_skus: list[str]
    excluded_categories: list[str]
    partial_pay: PartialPayOut
    balance_pay_discount: DiscountRuleOut
    daily_limit: Optional[int]
    timezone: str
    updated_at: Optional[str]
