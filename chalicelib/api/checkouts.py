"""Checkout routes: a merchant opens a priced checkout; its customer reads and quotes it. Merchant balance rules."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chalice import Blueprint

from ..domain.checkout import Line
from ..domain.errors import InvalidRequest
from ..domain.pricing import PayOptions
from ..services import checkouts, merchant_rules
from ..services.common import Outcome
from .. import bootstrap
from .routing import Call, route

if TYPE_CHECKING:
    from .schemas.balance_rules import BalanceRulesRequest

bp = Blueprint(__name__)


@route(
    bp,
    "/v1/checkouts",
    "POST",
    name="createCheckout",
    summary="Open a checkout: the merchant's priced order for one customer (its staff, service)",
    access="user",
    body="checkouts.CheckoutRequest",
    response="checkouts.CheckoutOut",
    status=201,
    idempotent=True,
    tag="checkout",
)
def create_checkout(call: Call) -> Outcome:
    b = call.body
    return checkouts.create_checkout(
        bootstrap.store(),
        bootstrap.policy(),
        call.caller,
        call.key,
        merchant_id=b.merchant_id,
        order_id=b.order_id,
        user_id=b.user_id,
        lines=[Line(i.sku, i.category, i.unit_price, i.quantity) for i in b.items],
        expires_in_seconds=b.expires_in_seconds,
    )


@route(
    bp,
    "/v1/checkouts/{checkout_id}",
    "GET",
    name="getCheckout",
    summary="A checkout (its customer, its merchant's staff, service, admin); with return_url, whether the hosted "
    "checkout may send its customer there",
    access="user",
    query="checkouts.CheckoutQuery",
    response="checkouts.CheckoutReadOut",
    tag="checkout",
)
def get_checkout(call: Call, checkout_id: str) -> dict:
    return checkouts.get_checkout(bootstrap.store(), call.caller, checkout_id, call.query.return_url)


@route(
    bp,
    "/v1/checkouts/{checkout_id}/cancel",
    "POST",
    name="cancelCheckout",
    summary="Close an open checkout with no live authorization, so its order may get a new one (its merchant's "
    "staff, service, admin); again: the same answer",
    access="user",
    body="checkouts.CancelCheckoutRequest",
    response="checkouts.CheckoutOut",
    tag="checkout",
)
def cancel_checkout(call: Call, checkout_id: str) -> dict:
    return checkouts.cancel_checkout(bootstrap.store(), bootstrap.policy(), call.caller, checkout_id, call.body.reason)


@route(
    bp,
    "/v1/checkouts/{checkout_id}/quote",
    "POST",
    name="quoteCheckout",
    summary="What paying the checkout now would do, under the merchant's rules; writes nothing (its customer)",
    access="user",
    body="checkouts.QuoteRequest",
    response="checkouts.QuoteOut",
    tag="checkout",
)
def quote_checkout(call: Call, checkout_id: str) -> dict:
    b = call.body
    return checkouts.quote(
        bootstrap.store(),
        bootstrap.policy(),
        bootstrap.config_cache(),
        call.caller,
        checkout_id,
        PayOptions(allow_partial=b.allow_partial, capture=b.capture, points=b.points, coupon_id=b.coupon_id),
        trace=lambda detail: bootstrap.bus().put_quietly("checkout.quoted", detail),
    )


def _validated_rules(body: BalanceRulesRequest) -> dict:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(body.timezone)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise InvalidRequest(
            f"timezone: {body.timezone!r} is not an IANA time zone", code="invalid_timezone", field="timezone"
        ) from exc
    pp = body.partial_pay
    if pp.allowed == "in_windows" and not pp.windows:
        raise InvalidRequest("partial_pay.windows: in_windows needs at least one window", field="partial_pay.windows")
    if pp.allowed != "in_windows" and pp.windows:
        raise InvalidRequest(
            "partial_pay.windows: windows are only for allowed = in_windows", field="partial_pay.windows"
        )
    for i, w in enumerate(pp.windows):
        if w.from_ == w.to:
            raise InvalidRequest(f"partial_pay.windows.{i}: from and to are the same time", field="partial_pay.windows")
    return body.model_dump(by_alias=True)


@route(
    bp,
    "/v1/merchants/{merchant_id}/balance-rules",
    "PUT",
    name="putBalanceRules",
    summary="Set the merchant's rules for paying with balance; each change is a new version (its staff, admin)",
    access="user",
    body="balance_rules.BalanceRulesRequest",
    response="balance_rules.BalanceRulesOut",
    tag="checkout",
)
def put_balance_rules(call: Call, merchant_id: str) -> dict:
    return merchant_rules.put_rules(
        bootstrap.store(), call.caller, merchant_id, _validated_rules(call.body), bootstrap.config_cache()
    )


@route(
    bp,
    "/v1/merchants/{merchant_id}/balance-rules",
    "GET",
    name="getBalanceRules",
    summary="The merchant's rules for paying with balance (its staff, service, admin)",
    access="user",
    response="balance_rules.BalanceRulesOut",
    tag="checkout",
)
def get_balance_rules(call: Call, merchant_id: str) -> dict:
    return merchant_rules.get_rules(bootstrap.store(), call.caller, merchant_id)
