"""Coupon routes: definitions (admins; a merchant's staff for its own), grants, and the customer's coupons."""
from __future__ import annotations

from chalice import Blueprint

from ..services import coupons
from ..services.common import Outcome
from ..store import get_store
from .routing import Call, route
from .schemas import CouponDefinitionOut, CouponDefinitionRequest, CouponsPage, CouponsQuery, GrantOut, GrantRequest

bp = Blueprint(__name__)


@route(bp, "/v1/coupon-definitions/{definition_id}", "PUT", name="putCouponDefinition",
       summary="Create or change a coupon definition (admin; a merchant's staff for its own merchant)",
       access="user", body=CouponDefinitionRequest, response=CouponDefinitionOut, tag="rewards")
def put_definition(call: Call, definition_id: str) -> dict:
    return coupons.put_definition(get_store(), call.caller, definition_id, call.body.model_dump())


@route(bp, "/v1/coupon-definitions/{definition_id}", "GET", name="getCouponDefinition",
       summary="A coupon definition (who manages it, services)", access="user", response=CouponDefinitionOut,
       tag="rewards")
def get_definition(call: Call, definition_id: str) -> dict:
    return coupons.get_definition(get_store(), call.caller, definition_id)


@route(bp, "/v1/coupon-definitions/{definition_id}/grants", "POST", name="grantCoupons",
       summary="Grant a coupon of the definition to each customer (at most 500), within the per-customer limit",
       access="user", body=GrantRequest, response=GrantOut, status=201, idempotent=True, tag="rewards")
def grant(call: Call, definition_id: str) -> Outcome:
    assert call.idempotency is not None
    return coupons.grant(get_store(), call.caller, call.idempotency, definition_id, call.body.user_ids)


@route(bp, "/v1/coupons", "GET", name="listCoupons", summary="The caller's coupons, newest first",
       access="user", query=CouponsQuery, response=CouponsPage, tag="rewards")
def list_coupons(call: Call) -> dict:
    return coupons.list_coupons(get_store(), call.caller.user_id, call.query.state)
