"""The points catalogue's rewards and their redemptions."""

from __future__ import annotations

from typing import Annotated, Literal, Optional

from pydantic import ConfigDict, Field, StrictInt
from pydantic.config import JsonDict

from .common import JSON_SAFE, Ident, Out, PerCustomerLimit, Strict, Text


# what put_reward refuses beyond the fields (400 invalid_request): a coupon reward names its definition, a gift none
_DEFINITION_OF_A_COUPON: JsonDict = {
    "anyOf": [
        {
            "required": ["coupon_definition_id"],
            "properties": {"kind": {"const": "coupon"}, "coupon_definition_id": {"type": "string"}},
        },
        {"properties": {"kind": {"const": "gift"}, "coupon_definition_id": {"type": "null"}}},
    ]
}


class RewardRequest(Strict):
    """A coupon reward names its ``coupon_definition_id``; a gift names none."""

    model_config = ConfigDict(json_schema_extra=_DEFINITION_OF_A_COUPON)

    name: Text
    kind: Literal["coupon", "gift"]
    points_cost: Annotated[StrictInt, Field(gt=0, le=JSON_SAFE)]
    coupon_definition_id: Optional[Ident] = None
    stock: Annotated[StrictInt, Field(ge=0, le=10**9)]
    per_customer_limit: PerCustomerLimit = 1
    active: bool = True


class RewardOut(Out):
    reward_id: str
    name: str
    kind: Literal["coupon", "gift"]
    points_cost: int
    coupon_definition_id: Optional[str]
    stock: int
    per_customer_limit: int
    active: bool


class RewardsPage(Out):
    rewards: list[RewardOut]


class RedemptionOut(Out):
    redemption_id: str
    reward_id: str
    points_spent: int
    points_available: int
    coupon_id: Optional[str]
