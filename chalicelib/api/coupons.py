"""Reward routes: coupon definitions (admins; a merchant's staff for its own), grants, the customer's coupons,
and the points catalogue."""

from __future__ import annotations

from chalice import Blueprint

from ..services import coupons, rewards
from ..services.common import Outcome
from .. import bootstrap
from .routing import Call, route

bp = Blueprint(__name__)


@route(
    bp,
    "/v1/coupon-definitions/{definition_id}",
    "PUT",
    name="putCouponDefinition",
    summary="Create or change a coupon definition (admin; a merchant's staff for its own merchant)",
    access="user",
    body="coupons.CouponDefinitionRequest",
    response="coupons.CouponDefinitionOut",
    tag="rewards",
)
def put_definition(call: Call, definition_id: str) -> dict:
    return coupons.put_definition(bootstrap.store(), call.caller, definition_id, call.body.model_dump())


@route(
    bp,
    "/v1/coupon-definitions/{definition_id}",
    "GET",
    name="getCouponDefinition",
    summary="A coupon definition (who manages it, services)",
    access="user",
    response="coupons.CouponDefinitionOut",
    tag="rewards",
)
def get_definition(call: Call, definition_id: str) -> dict:
    return coupons.get_definition(bootstrap.store(), call.caller, definition_id)


@route(
    bp,
    "/v1/coupon-definitions/{definition_id}/grants",
    "POST",
    name="grantCoupons",
    summary="Grant a coupon of the definition to each customer (at most 500), within the per-customer limit",
    access="user",
    body="coupons.GrantRequest",
    response="coupons.GrantOut",
    status=201,
    idempotent=True,
    tag="rewards",
)
def grant(call: Call, definition_id: str) -> Outcome:
    return coupons.grant(bootstrap.store(), call.caller, call.key, definition_id, call.body.user_ids)


@route(
    bp,
    "/v1/coupons",
    "GET",
    name="listCoupons",
    summary="The caller's coupons, newest first",
    access="user",
    query="coupons.CouponsQuery",
    response="coupons.CouponsPage",
    tag="rewards",
)
def list_coupons(call: Call) -> dict:
    return coupons.list_coupons(bootstrap.store(), call.caller.user_id, call.query.state)


@route(
    bp,
    "/v1/admin/rewards/{reward_id}",
    "PUT",
    name="putReward",
    summary="Set up a reward of the points catalogue: a coupon or a gift, its cost, stock and limit (admin)",
    access="admin",
    body="rewards.RewardRequest",
    response="rewards.RewardOut",
    tag="rewards",
)
def put_reward(call: Call, reward_id: str) -> dict:
    return rewards.put_reward(bootstrap.store(), call.caller, reward_id, call.body.model_dump())


@route(
    bp,
    "/v1/rewards",
    "GET",
    name="listRewards",
    summary="The points catalogue (active rewards)",
    access="user",
    response="rewards.RewardsPage",
    tag="rewards",
)
def list_rewards(call: Call) -> dict:
    return rewards.list_rewards(bootstrap.store(), call.caller)


@route(
    bp,
    "/v1/rewards/{reward_id}/redemptions",
    "POST",
    name="redeemReward",
    summary="Spend points for a reward (exactly once; stock and the per-customer limit are conditions)",
    access="user",
    response="rewards.RedemptionOut",
    status=201,
    idempotent=True,
    tag="rewards",
)
def redeem(call: Call, reward_id: str) -> Outcome:
    return rewards.redeem(bootstrap.store(), bootstrap.policy(), call.caller, call.key, reward_id)
