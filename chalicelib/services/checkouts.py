"""Checkouts: the merchant opens one for its priced order; its customer reads, quotes and pays it."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any, Callable, cast

from ..domain.errors import present
from ..domain import access
from ..domain.checkout import Checkout, Line
from ..domain.moments import format_time
from ..domain.errors import (
    AmountExceedsLimit,
    CheckoutExists,
    ConcurrentUpdate,
    Forbidden,
    NotFound,
    OrderAlreadyPaid,
    PaymentStateConflict,
    UnknownCustomer,
    ReadChanged,
    ReturnUrlNotAllowed,
)
from ..domain.model import Principal, Snapshot, new_id
from ..domain.origins import allowed_return
from ..domain.pricing import Funds, PayOptions, Quote, price
from ..domain.tiers import effective
from ..observability import capture_method
from . import clock
from .common import IdempotentRequest, LedgerPolicy, Outcome, record_once, replay, wallet_or_empty
from .merchant_rules import ConfigCache
from .ports import CheckoutCancelStore, CheckoutOpenStore, QuoteStore, Snapshots


def visible_checkout(snap: Snapshot, principal: Principal, checkout_id: str) -> Checkout:
    """The checkout if the caller may see it (its customer, its merchant's staff, service, admin); else not found."""
    c = snap.checkout
    if c is None or not access.sees_sale(principal, c.user_id, c.merchant_id):
        raise NotFound("checkout", checkout_id)
    return c


def customers_checkout(snap: Snapshot, principal: Principal, checkout_id: str) -> Checkout:
    """The checkout if the caller is its customer; not found for anyone else (its existence is private)."""
    c = snap.checkout
    if c is None or c.user_id != principal.user_id:
        raise NotFound("checkout", checkout_id)
    return c


@capture_method
def create_checkout(
    store: CheckoutOpenStore,
    policy: LedgerPolicy,
    principal: Principal,
    request: IdempotentRequest,
    merchant_id: str,
    order_id: str,
    user_id: str,
    lines: list[Line],
    expires_in_seconds: int | None,
) -> Outcome:
    """Open the checkout of one merchant order for one customer.

    Invariants: one live checkout per merchant order (an expired one may be replaced), none for an
    order already paid; the key replays the first answer.
    """
    if not access.sells_for(principal, merchant_id):
        raise Forbidden("the merchant's staff or a service may open its checkouts")
    snap = store.snapshot(
        merchant=merchant_id,
        paid_order=(merchant_id, order_id),
        wallet=user_id,
        checkout_guard=(merchant_id, order_id),
        idempotency=(request.scope, request.key),
    )
    previous = replay(snap.idempotency, request)
    if previous is not None:
        return previous
    if snap.merchant is None or not snap.merchant.active:
        raise NotFound("merchant", merchant_id)
    if snap.wallet is None:  # never credited: nothing it could pay by balance, and the order would be blocked
        raise UnknownCustomer(user_id)
    if snap.paid_order is not None:
        raise OrderAlreadyPaid(merchant_id, order_id)
    if snap.checkout_guard is not None:
        raise CheckoutExists(merchant_id, order_id)
    amount = sum(line.total for line in lines)
    if amount > policy.max_amount:
        raise AmountExceedsLimit(amount, policy.max_amount)
    now = clock.now()
    ttl = policy.checkout_ttl_seconds if expires_in_seconds is None else expires_in_seconds
    checkout = Checkout(
        checkout_id=new_id("chk"),
        merchant_id=merchant_id,
        order_id=order_id,
        user_id=user_id,
        lines=tuple(lines),
        status="open",
        created_at=format_time(now),
        expires_at=format_time(now + timedelta(seconds=ttl)),
    )
    return record_once(
        store, request, Outcome(201, checkout.as_view()), lambda rec: store.create_checkout(checkout, rec)
    )


@capture_method
def get_checkout(
    store: Snapshots, principal: Principal, checkout_id: str, return_url: str | None = None
) -> dict[str, Any]:
    """The checkout, to whoever may see it. With ``return_url``: also that URL, if its origin is one the
    checkout's merchant registered; otherwise ReturnUrlNotAllowed and nothing of the checkout (no open redirect
    from the hosted checkout)."""
    checkout = visible_checkout(store.snapshot(checkout=checkout_id), principal, checkout_id)
    view = checkout.as_view(clock.now())
    if return_url is not None:
        merchant = store.snapshot(merchant=checkout.merchant_id).merchant
        if not allowed_return(return_url, merchant.return_origins if merchant else ()):
            raise ReturnUrlNotAllowed()
        view["return_url"] = return_url
    return view


@capture_method
def cancel_checkout(
    store: CheckoutCancelStore, policy: LedgerPolicy, principal: Principal, checkout_id: str, reason: str | None
) -> dict[str, Any]:
    """Close an open checkout its order no longer needs (its merchant's staff, a service, an admin), so the
    order may get a new one. Invariants: a paid or authorized checkout is never closed (409 with the reason:
    void the authorization first); cancelling a cancelled checkout, or one the sweeper expired (closed
    already, its order free), answers it as it is and changes nothing."""
    for _ in range(policy.max_attempts):
        snap = store.snapshot(checkout=checkout_id)
        checkout = visible_checkout(snap, principal, checkout_id)
        if not access.settles_for(principal, checkout.merchant_id):
            raise Forbidden("its merchant's staff, a service or an admin cancels a checkout")
        if checkout.status in ("cancelled", "expired"):
            return checkout.as_view(clock.now())
        if checkout.status == "paid":
            raise PaymentStateConflict(
                "checkout_paid",
                "the checkout is paid: refund the payment instead",
                checkout_id=checkout_id,
                payment_id=checkout.payment_id,
            )
        if checkout.status == "authorized":
            raise PaymentStateConflict(
                "checkout_authorized",
                "the checkout has a live authorization: void it first",
                checkout_id=checkout_id,
                payment_id=checkout.payment_id,
            )
        guard = store.snapshot(checkout_guard=(checkout.merchant_id, checkout.order_id)).checkout_guard
        at = format_time(clock.now())
        try:  # the order's guard is released only while it names this checkout (an expired one may be replaced)
            store.cancel_checkout(checkout, at, reason, release_order=guard == checkout_id)
        except ReadChanged:  # paid, authorized or replaced meanwhile: read again
            continue
        return replace(checkout, status="cancelled", cancelled_at=at, cancel_reason=reason).as_view()
    raise ConcurrentUpdate(policy.max_attempts)


def funds_for(snap: Snapshot, config: Any, policy: LedgerPolicy, now: datetime) -> Funds:
    """What the snapshot's customer can pay the checkout with now (lots, the day's spend, points, coupon, tier)."""
    checkout = present(snap.checkout, "the snapshot's checkout")
    wallet = wallet_or_empty(snap.wallet, checkout.user_id, policy.currency)
    tier, _ = effective(config.tiers, wallet.tier, wallet.spend_months, now, wallet.tier_since)
    return Funds(
        wallet.spendable(format_time(now)),
        wallet.spent_on(checkout.merchant_id, config.rules.local_day(now)),
        wallet.points.matured(now).available,
        snap.coupon,
        tier,
    )


def price_for(snap: Snapshot, config: Any, policy: LedgerPolicy, options: PayOptions, now: datetime) -> Quote:
    """Price the snapshot's checkout for its customer's wallet as it is now, under the merchant's configuration."""
    checkout = present(snap.checkout, "the snapshot's checkout")
    funds = funds_for(snap, config, policy, now)
    return price(checkout, config.rules, funds, now, options, policy.pricing, config.promotions)


def quoted_detail(
    checkout: Checkout, funds: Funds, view: dict[str, Any], options: PayOptions, now: datetime
) -> dict[str, Any]:
    """``checkout.quoted``: what the quote found, with the priced lines and the customer's funds at that moment,
    so that an analysis (the obstacles report) or a backtest can replay it through ``price``."""
    refusal = view.get("refusal")
    detail = {
        "event_id": str(uuid.uuid4()),  # every quote is an event of its own
        "occurred_at": format_time(now),
        "checkout_id": checkout.checkout_id,
        "merchant_id": checkout.merchant_id,
        "user_id": checkout.user_id,
        "amount": checkout.amount,
        "lines": [line.as_dict() for line in checkout.lines],
        "expires_at": checkout.expires_at,
        "balance": view["balance"],
        "discount_total": view["discount_total"],
        "external": view["external"],
        "payable": view["payable"],
        "limits": [lim["code"] for lim in view["limits"]],
        "funds": {
            "cash": funds.lots.cash,
            "bonus": funds.lots.bonus,
            "points": funds.points,
            "spent_today": funds.spent_today,
        },
        "points": options.points,
        "allow_partial": options.allow_partial,
        "refusal": refusal["code"] if refusal else None,
        "coupon_id": options.coupon_id,
        "tier": view.get("tier"),
        "rules_version": view.get("rules_version"),
    }
    return {k: v for k, v in detail.items() if v is not None}


def checkout_refusal(checkout: Checkout, now: datetime) -> dict[str, str] | None:
    """Why the checkout itself cannot be paid now (cancelled, paid, expired), as a quote says it; None if it can."""
    if checkout.status == "cancelled":
        return {"code": "checkout_cancelled", "message": "the merchant cancelled the checkout"}
    if checkout.status == "expired" or (checkout.status == "open" and checkout.expired(now)):
        return {"code": "checkout_expired", "message": f"the checkout expired at {checkout.expires_at}"}
    if checkout.status != "open":
        return {"code": "order_already_paid", "message": "the checkout is already paid"}
    return None


def customers_coupon(snap: Snapshot, options: PayOptions) -> None:
    """The coupon named in the request must be the customer's own (404 otherwise) and not already used."""
    if options.coupon_id is None:
        return
    if snap.coupon is None:
        raise NotFound("coupon", options.coupon_id)
    if snap.coupon.state in ("used", "held"):
        raise PaymentStateConflict(
            "coupon_already_used",
            f"coupon {options.coupon_id!r} is already {snap.coupon.state}",
            coupon_id=options.coupon_id,
        )


@capture_method
def quote(
    store: QuoteStore,
    policy: LedgerPolicy,
    cache: ConfigCache,
    principal: Principal,
    checkout_id: str,
    options: PayOptions,
    trace: Callable[[dict[str, Any]], object] | None = None,
) -> dict[str, Any]:
    """What paying the checkout now would do, writing nothing: the payment runs the same pricing.
    ``trace`` receives the ``checkout.quoted`` detail of every quote of a checkout the customer may see."""
    snap = store.snapshot(
        checkout=checkout_id,
        wallet=principal.user_id,
        **cast("dict[str, Any]", {"coupon": (principal.user_id, options.coupon_id)} if options.coupon_id else {}),
    )
    checkout = customers_checkout(snap, principal, checkout_id)
    try:
        customers_coupon(snap, options)
        refusal = None
    except PaymentStateConflict as used:  # a quote answers; it does not refuse
        refusal = {"code": used.code, "message": used.message}
    config = cache.get(store, checkout.merchant_id)
    now = clock.now()
    funds = funds_for(snap, config, policy, now)
    view = price(checkout, config.rules, funds, now, options, policy.pricing, config.promotions).as_view()
    refusal = refusal or checkout_refusal(checkout, now)  # the coupon's refusal comes first
    if refusal is not None:
        view.update(payable=False, status=None, refusal=refusal)
    if trace is not None:
        trace(quoted_detail(checkout, funds, view, options, now))
    return {"checkout_id": checkout_id, **view}
