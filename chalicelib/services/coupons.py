"""Coupon definitions, grants, and the customer's coupons."""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any, Callable

from ..domain import access
from ..domain.moments import parse_time
from ..domain.coupons import BUDGET_SHARDS, Coupon, CouponDefinition, CouponTerms, shard_allotments
from ..domain.errors import ConcurrentUpdate, Forbidden, InvalidRequest, NotFound, PaymentStateConflict, VersionTaken
from ..domain.model import Principal
from ..observability import capture_method
from . import clock
from .common import IdempotentRequest, Outcome, record_once, replay
from .ports import CouponDefinitions, CouponGrantStore, Coupons


@capture_method
def put_definition(
    store: CouponDefinitions, principal: Principal, definition_id: str, body: dict[str, Any]
) -> dict[str, Any]:
    """Create or change a definition (the next version). Its budget is fixed when it is created: the budget is
    split into shards then, so a change of it is refused (409 ``budget_fixed``)."""
    merchant_id = body.get("merchant_id")
    if not access.manages(principal, merchant_id):
        raise Forbidden("an admin, or a merchant's staff for a definition of that merchant, manages coupons")
    if body["valid_to"] <= body["valid_from"]:
        raise InvalidRequest("valid_to must be after valid_from", field="valid_to")
    if body["kind"] == "percent_off" and not 0 < body["value"] <= 100:
        raise InvalidRequest("a percent_off value is a percentage, 1 to 100", code="invalid_request", field="value")
    for _ in range(5):
        current = store.get_coupon_definition(definition_id)
        if current is not None:
            if not access.manages(principal, current.terms.merchant_id):
                raise Forbidden("this definition belongs to another merchant")
            if (current.budget_count, current.budget_amount) != (body.get("budget_count"), body.get("budget_amount")):
                raise PaymentStateConflict(
                    "budget_fixed", "a definition's budget is fixed when it is created", definition_id=definition_id
                )
        terms = CouponTerms(
            definition_id=definition_id,
            name=body["name"],
            kind=body["kind"],
            value=body["value"],
            max_discount=body.get("max_discount"),
            min_spend=body["min_spend"],
            merchant_id=merchant_id,
            balance_pay_only=body["balance_pay_only"],
            valid_from=body["valid_from"],
            valid_to=body["valid_to"],
            counts_uses=body.get("budget_count") is not None,
            counts_amount=body.get("budget_amount") is not None,
            budget_shards=current.terms.budget_shards if current else body.get("budget_shards") or BUDGET_SHARDS,
        )
        d = CouponDefinition(
            terms=terms,
            per_customer_limit=body["per_customer_limit"],
            budget_count=body.get("budget_count"),
            budget_amount=body.get("budget_amount"),
            version=(current.version if current else 0) + 1,
        )
        n = terms.budget_shards
        shards = list(zip(shard_allotments(d.budget_count, n), shard_allotments(d.budget_amount, n)))
        try:
            store.put_coupon_definition(d, clock.stamp(), shards)
        except VersionTaken:
            continue
        return d.as_view()
    raise ConcurrentUpdate(5)


@capture_method
def get_definition(store: CouponDefinitions, principal: Principal, definition_id: str) -> dict[str, Any]:
    d = store.get_coupon_definition(definition_id)
    if d is None or not access.reads_configuration(principal, d.terms.merchant_id):
        raise NotFound("coupon_definition", definition_id)
    return d.as_view()


def coupon_id_for(definition_id: str, request: IdempotentRequest, user_id: str) -> str:
    """The same id for the same grant request and customer: a retried grant finds its own coupon."""
    digest = hashlib.sha256(f"{definition_id}|{request.scope}|{request.key}|{user_id}".encode()).hexdigest()
    return f"cpn_{digest[:24]}"


@capture_method
def grant(
    store: CouponGrantStore, principal: Principal, request: IdempotentRequest, definition_id: str, user_ids: list[str]
) -> Outcome:
    """Grant a coupon of the definition to each customer, within its per-customer limit.

    Each grant is its own transaction (coupon + the customer's count), so 500 customers are not one
    100-item transaction; a coupon's id derives from the request's key and the customer, so a retry
    after a crash half-way grants nobody twice. The answer is recorded under the key once all are done.
    """
    previous = replay(store.get_idempotency(request.scope, request.key), request)
    if previous is not None:
        return previous
    d = store.get_coupon_definition(definition_id)
    if d is None or not access.manages(principal, d.terms.merchant_id):
        raise NotFound("coupon_definition", definition_id)
    granted, skipped = grant_each(
        store, d, lambda user_id: coupon_id_for(definition_id, request, user_id), user_ids, clock.now()
    )
    # the same request may have run at once and recorded first: then its answer is the answer
    return record_once(
        store,
        request,
        Outcome(201, {"definition_id": definition_id, "granted": granted, "skipped": skipped}),
        store.put_idempotency,
    )


def grant_each(
    store: Coupons, d: CouponDefinition, coupon_id_of: Callable[[str], str], user_ids: list[str], now: datetime
) -> tuple[int, list[dict[str, str]]]:
    """One coupon of ``d`` to each customer (named twice: once), within its per-customer limit: one transaction
    each. ``coupon_id_of`` names each customer's coupon; the same name again grants nothing (the coupon exists),
    so whoever derives it from what makes the grant unique (a request's key, a promotion) grants nobody twice."""
    granted, skipped = 0, []
    for user_id in dict.fromkeys(user_ids):
        if now >= parse_time(d.terms.valid_to):
            skipped.append({"user_id": user_id, "code": "definition_expired"})
            continue
        coupon = Coupon(
            coupon_id=coupon_id_of(user_id), user_id=user_id, terms=d.terms, state="available", granted_at=clock.stamp()
        )
        why = store.grant_coupon(coupon, d.per_customer_limit)
        if why is None:
            granted += 1
        else:
            skipped.append({"user_id": user_id, "code": why})
    return granted, skipped


@capture_method
def list_coupons(store: Coupons, user_id: str, state: str | None) -> dict[str, Any]:
    now = clock.now()
    views = [c.as_view(now) for c in store.list_coupons(user_id)]
    if state is not None:
        views = [v for v in views if v["state"] == state]
    return {"user_id": user_id, "coupons": sorted(views, key=lambda v: v["granted_at"], reverse=True)}
