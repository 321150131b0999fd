"""Promotion routes (admins; a merchant's staff for their own merchant): create, list, read, cancel."""

from __future__ import annotations

from chalice import Blueprint

from ..services import promotions
from ..services.common import Outcome
from .. import bootstrap
from .routing import Call, route

bp = Blueprint(__name__)


@route(
    bp,
    "/v1/admin/promotions",
    "POST",
    name="createPromotion",
    summary="Create a limited-time promotion and its start and end schedules (admin; a merchant's staff for "
    "their merchant)",
    access="user",
    body="promotions.PromotionRequest",
    response="promotions.PromotionOut",
    status=201,
    idempotent=True,
    tag="promotions",
)
def create(call: Call) -> Outcome:
    return promotions.create(
        bootstrap.store(),
        bootstrap.schedules(),
        bootstrap.config_cache(),
        promotions.PromotionPolicy.from_settings(call.settings),
        call.caller,
        call.key,
        call.body.model_dump(),
    )


@route(
    bp,
    "/v1/admin/promotions",
    "GET",
    name="listPromotions",
    summary="Promotions (admin: all, or one merchant's; a merchant's staff: their merchants')",
    access="user",
    query="promotions.PromotionsQuery",
    response="promotions.PromotionsPage",
    tag="promotions",
)
def list_promotions(call: Call) -> dict:
    return promotions.list_promotions(bootstrap.store(), call.caller, call.query.merchant_id)


@route(
    bp,
    "/v1/admin/promotions/{promotion_id}",
    "GET",
    name="getPromotion",
    summary="A promotion (admin; its merchant's staff)",
    access="user",
    response="promotions.PromotionOut",
    tag="promotions",
)
def get_promotion(call: Call, promotion_id: str) -> dict:
    return promotions.get_promotion(bootstrap.store(), call.caller, promotion_id)


@route(
    bp,
    "/v1/admin/promotions/{promotion_id}",
    "DELETE",
    name="cancelPromotion",
    summary="Cancel a promotion: never applied again, its schedules deleted (an ended one: 409)",
    access="user",
    response="promotions.PromotionOut",
    tag="promotions",
)
def cancel(call: Call, promotion_id: str) -> dict:
    return promotions.cancel(
        bootstrap.store(), bootstrap.schedules(), bootstrap.config_cache(), call.caller, promotion_id
    )
