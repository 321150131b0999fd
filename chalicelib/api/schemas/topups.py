"""Top-ups (and the provider's webhook), top-up plans and the top-up options."""

from __future__ import annotations

from typing import Annotated, Literal, Optional

from pydantic import ConfigDict, Field, StrictInt
from pydantic.config import JsonDict

from .common import Fen, Ident, Instant, Out, PerCustomerLimit, Strict, Text, TransactionFen

# The option ids are the configured presets' (TOPUP_PRESETS), each of its own amount: openapi.py lists them in
# place of this mark, each tied to its amount (the use case refuses any other, 400 invalid_topup_option).
TOPUP_OPTIONS = "x-topup-options"


class TopupRequest(Strict):
    model_config = ConfigDict(json_schema_extra={TOPUP_OPTIONS: True})

    amount: TransactionFen
    channel: Literal["alipay", "wechat", "card"]
    option_id: Optional[Ident] = Field(
        None, description="the option of GET /v1/topups/options it came from, with that option's amount"
    )


class WebhookRequest(Strict):
    topup_id: Ident
    status: Literal["succeeded", "failed"]
    amount: Fen
    provider_ref: Text


# What put_plan refuses beyond the fields (400 invalid_topup_plan): a fixed bonus, or a percent with its cap.
_ONE_KIND_OF_BONUS: JsonDict = {
    "anyOf": [
        {
            "required": ["bonus_amount"],
            "properties": {
                "bonus_amount": {"type": "integer"},
                "bonus_percent": {"type": "null"},
                "bonus_max": {"type": "null"},
            },
        },
        {
            "required": ["bonus_percent", "bonus_max"],
            "properties": {
                "bonus_amount": {"type": "null"},
                "bonus_percent": {"type": "integer"},
                "bonus_max": {"type": "integer"},
            },
        },
    ]
}


class TopupPlanRequest(Strict):
    """Exactly one kind of bonus: ``bonus_amount``, or ``bonus_percent`` with its ``bonus_max``; ``valid_to``
    after ``valid_from``."""

    model_config = ConfigDict(json_schema_extra=_ONE_KIND_OF_BONUS)

    name: Text
    min_amount: Fen = Field(description="the smallest top-up the plan rewards")
    bonus_amount: Optional[Fen] = Field(None, description="a fixed bonus (or bonus_percent)")
    bonus_percent: Optional[Annotated[StrictInt, Field(ge=1, le=100)]] = Field(
        None, description="a bonus of this percent of the top-up, at most bonus_max"
    )
    bonus_max: Optional[Fen] = None
    bonus_valid_days: Optional[Annotated[StrictInt, Field(ge=1, le=3650)]] = Field(
        None, description="days the bonus is spendable after it is granted (none: it never expires)"
    )
    valid_from: Instant
    valid_to: Instant
    per_customer_limit: Optional[PerCustomerLimit] = Field(
        None, description="bonuses one customer may receive from the plan (none: no limit)"
    )
    active: bool = True


class TopupOut(Out):
    topup_id: str
    option_id: Optional[str] = None
    status: Literal["pending", "succeeded", "failed"]
    amount: int
    channel: str
    created_at: str
    bonus: Optional[int] = Field(None, description="bonus granted with the credit (null until it is credited)")
    plan_id: Optional[str] = Field(None, description="the top-up plan the bonus came from")


class WebhookOut(Out):
    topup_id: str
    status: Literal["succeeded", "failed"]
    credited: bool
    bonus: Optional[int] = Field(None, description="bonus granted with the credit")
    plan_id: Optional[str] = None


class TopupPlanOut(Out):
    plan_id: str
    name: str
    min_amount: int
    bonus_amount: Optional[int]
    bonus_percent: Optional[int]
    bonus_max: Optional[int]
    bonus_valid_days: Optional[int]
    valid_from: str
    valid_to: str
    per_customer_limit: Optional[int]
    active: bool
    version: int


class TopupPlansPage(Out):
    plans: list[TopupPlanOut]


class TopupOptionOut(Out):
    option_id: str = Field(description="name it when creating the top-up")
    amount: int
    bonus: int = Field(description="the bonus a top-up of this amount would earn if credited now")
    plan_id: Optional[str]
    bonus_valid_days: Optional[int]


class TopupOptionsOut(Out):
    currency: str
    options: list[TopupOptionOut]
    suggested_amount: int = Field(description="an amount that covers the next 30 days of balance spending")
