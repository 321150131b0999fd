"""Every event the session stack put on its bus matches the catalogue's JSON Schema for its detail type, and
the events a store must publish are among them.

Self-sufficient: ``published`` makes every event of MUST_SEE happen itself, through the API and the scheduled
jobs as clients and schedules would, and waits until the bus has each of them, whatever other modules ran
before it, or none. The schema check then runs over everything the session's stack published so far: the
other modules' events too, when they ran first.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone

import jsonschema
import pytest

from chalicelib.events.catalogue import DETAIL_TYPES, SCHEMAS, SOURCE
from tests.e2e.conftest import run_schedule

# one behaviour event of each type, with every property its type may carry
BEHAVIOUR_EXAMPLES = {
    "login": {"channel": "app"},
    "view_product": {"sku": "s-1", "category": "books", "merchant_id": "m-x", "price": 1200},
    "search": {"query": "tea", "category": "food", "merchant_id": "m-x"},
    "add_to_cart": {"sku": "s-1", "merchant_id": "m-x", "category": "books", "quantity": 2, "price": 1200},
    "view_wallet": {},
    "view_topup": {"option_id": "opt-1"},
}

pytestmark = pytest.mark.e2e

# what a store does for certain (top-ups, payments, holds, refunds, adjustments, points, coupons, bonus)
MUST_SEE = {
    "topup.credited",
    "payment.authorized",
    "payment.succeeded",
    "payment.voided",
    "payment.refunded",
    "balance.adjusted",
    "bonus.expired",
    "points.earned",
    "points.spent",
    "coupon.granted",
    "coupon.used",
    "promotion.started",
    "notification.sent",
    "wallet.balance_low",
    "checkout.cancelled",
    "checkout.opened",
    "checkout.quoted",
} | {f"behaviour.{t}" for t in BEHAVIOUR_EXAMPLES}
PLAN_MIN = 4_322_001  # a top-up amount no other module tops up: the module's plan rewards only its own


def iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def ok(r, status: int = 200):
    assert r.status_code == status, r.text
    return r.json()


@pytest.fixture(scope="module")
def published(api, bus_events, local_stack) -> list[dict]:
    """One of each MUST_SEE, by one customer at a merchant of the module's own (its promotion and coupon touch
    no other module's payments), each waited for on the bus; then every event the bus had."""
    tag = uuid.uuid4().hex[:8]
    shop, customer, admin, service = f"m-catalogue-{tag}", api.unique_user("catalogue"), api.admin(), api.service()
    api.ensure_merchant(shop)
    # a top-up with a plan's bonus that lasts a day, and the daily job a day later: topup.credited, bonus.expired
    now, plan = datetime.now(timezone.utc), f"plan-catalogue-{tag}"
    terms = {
        "name": "catalogue bonus",
        "min_amount": PLAN_MIN,
        "bonus_amount": 1_000,
        "bonus_valid_days": 1,
        "valid_from": iso(now - timedelta(hours=1)),
        "valid_to": iso(now + timedelta(hours=1)),
    }
    ok(api.request("PUT", f"/v1/admin/topup-plans/{plan}", admin, terms))
    try:
        api.fund(customer, PLAN_MIN)
    finally:
        ok(api.request("PUT", f"/v1/admin/topup-plans/{plan}", admin, {**terms, "active": False}))
    [expiring] = ok(api.get("/v1/wallet", customer))["bonus_expiring"]
    expires = datetime.fromisoformat(expiring["expires_at"].replace("Z", "+00:00"))
    expired = run_schedule(local_stack, "expire_bonus", at=iso(expires + timedelta(minutes=5)))["expired"]
    assert expired.get(customer.user_id) == 1_000
    # what the customer's app reports: behaviour.*
    events = [{"type": t, **({"props": p} if p else {})} for t, p in BEHAVIOUR_EXAMPLES.items()]
    assert ok(api.post("/v1/events", customer, {"events": events}), 202) == {"accepted": len(events)}
    # an operator's correction: balance.adjusted
    api.grant_bonus(customer, 1)
    # a payment (payment.succeeded, points.earned; its feedback prompt: notification.sent), refunded in part
    paid = ok(api.pay(customer, 1_000, merchant_id=shop), 201)
    ok(
        api.post(
            f"/v1/payments/{paid['payment_id']}/refunds",
            admin,
            {"amount": 1, "reason": "catalogue"},
            key=str(uuid.uuid4()),
        ),
        201,
    )
    # a hold, voided: payment.authorized, payment.voided
    checkout = api.open_checkout(customer, 100, merchant_id=shop)
    held = ok(
        api.post(
            "/v1/payments", customer, {"checkout_id": checkout["checkout_id"], "capture": False}, key=str(uuid.uuid4())
        ),
        201,
    )
    ok(api.post(f"/v1/payments/{held['payment_id']}/void", customer, key=str(uuid.uuid4())))
    # a reward for a point: points.spent
    reward = f"rw-catalogue-{tag}"
    ok(
        api.request(
            "PUT",
            f"/v1/admin/rewards/{reward}",
            admin,
            {"name": "sticker", "kind": "gift", "points_cost": 1, "stock": 10, "per_customer_limit": 10},
        )
    )
    ok(api.post(f"/v1/rewards/{reward}/redemptions", customer, key=str(uuid.uuid4())), 201)
    # a coupon granted and used: coupon.granted, coupon.used
    definition = f"cd-catalogue-{tag}"
    ok(
        api.request(
            "PUT",
            f"/v1/coupon-definitions/{definition}",
            admin,
            {
                "name": "catalogue",
                "kind": "amount_off",
                "value": 10,
                "min_spend": 0,
                "merchant_id": shop,
                "valid_from": "2026-01-01T00:00:00Z",
                "valid_to": "2099-01-01T00:00:00Z",
                "per_customer_limit": 10,
            },
        )
    )
    ok(
        api.post(
            f"/v1/coupon-definitions/{definition}/grants",
            admin,
            {"user_ids": [customer.user_id]},
            key=str(uuid.uuid4()),
        ),
        201,
    )
    [coupon] = [c for c in ok(api.get("/v1/coupons", customer))["coupons"] if c["definition_id"] == definition]
    checkout = api.open_checkout(customer, 100, merchant_id=shop)
    ok(
        api.post(
            "/v1/payments",
            customer,
            {"checkout_id": checkout["checkout_id"], "coupon_id": coupon["coupon_id"]},
            key=str(uuid.uuid4()),
        ),
        201,
    )
    # a threshold above what one more payment leaves: wallet.balance_low
    balance = api.balance(customer)["total"]
    ok(api.request("PUT", "/v1/wallet/settings", customer, {"low_balance_threshold": balance - 50}))
    ok(api.pay(customer, 100, merchant_id=shop), 201)
    # a checkout the order service cancels: checkout.cancelled
    checkout = api.open_checkout(customer, 100, merchant_id=shop)  # checkout.opened
    ok(api.post(f"/v1/checkouts/{checkout['checkout_id']}/quote", customer, {}))  # checkout.quoted
    ok(api.post(f"/v1/checkouts/{checkout['checkout_id']}/cancel", service, {"reason": "catalogue"}))
    # a promotion that starts now (its start schedule is due at once, and the stack's runner fires it)
    promotion = ok(
        api.post(
            "/v1/admin/promotions",
            admin,
            {
                "name": "catalogue",
                "merchant_id": shop,
                "starts_at": iso(datetime.now(timezone.utc)),
                "ends_at": iso(datetime.now(timezone.utc) + timedelta(hours=1)),
                "effect": {"kind": "extra_balance_discount", "percent": 5},
            },
            key=str(uuid.uuid4()),
        ),
        201,
    )

    bus_events.wait_for("promotion.started", timeout=60, promotion_id=promotion["promotion_id"])
    for detail_type in sorted(MUST_SEE - {"promotion.started"}):
        bus_events.wait_for(detail_type, timeout=60, user_id=customer.user_id)
    ok(api.request("DELETE", f"/v1/admin/promotions/{promotion['promotion_id']}", admin))
    return bus_events.events


def test_every_event_on_the_bus_matches_its_schema(published):
    events = published
    assert events, "the suite put nothing on the bus"
    checker = jsonschema.Draft202012Validator.FORMAT_CHECKER
    problems = []
    for e in events:
        if e["source"] != SOURCE or e["detail-type"] not in SCHEMAS:
            problems.append(f"unknown event {e['source']} / {e['detail-type']}")
            continue
        for error in jsonschema.Draft202012Validator(SCHEMAS[e["detail-type"]], format_checker=checker).iter_errors(
            e["detail"]
        ):
            problems.append(f"{e['detail-type']} {e['detail'].get('event_id')}: {error.message}")
    assert problems == []
    seen = {e["detail-type"] for e in events}
    assert MUST_SEE <= seen, f"never published: {sorted(MUST_SEE - seen)}"
    assert seen <= set(DETAIL_TYPES)


def test_the_catalogue_documents_every_detail_type():
    from pathlib import Path

    doc = (Path(__file__).resolve().parents[2] / "docs" / "events.md").read_text()
    assert set(SCHEMAS) == set(DETAIL_TYPES)
    assert [t for t in DETAIL_TYPES if f"`{t}`" not in doc] == []


def test_a_schema_refuses_a_detail_that_drifted():
    schema = SCHEMAS["payment.succeeded"]
    good = {
        "event_id": "7d1f2c2e-8a5f-5c4c-9a55-0b1f3f9d6a10",
        "payment_id": "p",
        "user_id": "u",
        "merchant_id": "m",
        "order_id": "o",
        "amount": 100,
        "balance_paid": 100,
        "lots": {"cash": 100, "bonus": 0},
        "discount": 0,
        "external": 0,
        "points_spent": 0,
        "points_earned": 1,
        "occurred_at": "2026-11-25T10:00:00Z",
    }
    jsonschema.validate(good, schema)
    for drifted in (
        {**good, "amount": "100"},
        {**good, "surprise": 1},
        {k: v for k, v in good.items() if k != "user_id"},
    ):
        try:
            jsonschema.validate(drifted, schema)
        except jsonschema.ValidationError:
            continue
        raise AssertionError(f"accepted {drifted}")
