"""Coupons over HTTP: defined, granted, used once inside the payment's transaction, restored by a void or a full
refund, and a shared budget never overspent however many customers pay at once."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

pytestmark = pytest.mark.e2e

WINDOW = {"valid_from": "2026-01-01T00:00:00Z", "valid_to": "2099-01-01T00:00:00Z"}


def define(api, **terms):
    definition_id = f"cd-{uuid.uuid4().hex[:10]}"
    body = {"name": "300 off", "kind": "amount_off", "value": 300, "min_spend": 500, **WINDOW, **terms}
    r = api.request("PUT", f"/v1/coupon-definitions/{definition_id}", api.admin(), body)
    assert r.status_code == 200, r.text
    return definition_id


def grant(api, definition_id, *users):
    r = api.post(
        f"/v1/coupon-definitions/{definition_id}/grants",
        api.admin(),
        {"user_ids": [u.user_id for u in users]},
        key=str(uuid.uuid4()),
    )
    assert r.status_code == 201, r.text
    return r.json()


def coupon_of(api, user, definition_id):
    [c] = [c for c in api.get("/v1/coupons", user).json()["coupons"] if c["definition_id"] == definition_id]
    return c


def pay(api, user, amount, coupon_id, **options):
    checkout = api.open_checkout(user, amount)
    return api.post(
        "/v1/payments",
        user,
        {"checkout_id": checkout["checkout_id"], "coupon_id": coupon_id, **options},
        key=str(uuid.uuid4()),
    )


def test_a_coupon_is_quoted_used_once_and_listed_as_used(api):
    definition_id = define(api)
    customer = api.unique_user("coupon")
    api.fund(customer, 5000)
    assert grant(api, definition_id, customer) == {"definition_id": definition_id, "granted": 1, "skipped": []}
    coupon = coupon_of(api, customer, definition_id)
    assert coupon["state"] == "available"
    checkout = api.open_checkout(customer, 1000)
    q = api.post(f"/v1/checkouts/{checkout['checkout_id']}/quote", customer, {"coupon_id": coupon["coupon_id"]}).json()
    assert q["discounts"] == [{"source": "coupon", "amount": 300}] and q["balance"] == 700
    p = api.post(
        "/v1/payments",
        customer,
        {"checkout_id": checkout["checkout_id"], "coupon_id": coupon["coupon_id"]},
        key=str(uuid.uuid4()),
    )
    assert p.status_code == 201, p.text
    assert (p.json()["discount_total"], p.json()["funded_by"]["cash"]) == (q["discount_total"], 700)
    assert coupon_of(api, customer, definition_id)["state"] == "used"
    again = pay(api, customer, 1000, coupon["coupon_id"])
    assert again.status_code == 409 and again.json()["error"]["code"] == "coupon_already_used"
    assert api.balance(customer)["total"] == 4300


def test_a_coupon_that_does_not_apply_is_refused_with_the_reason(api):
    definition_id = define(api, merchant_id="another-shop")
    customer = api.unique_user("coupon-na")
    api.fund(customer, 5000)
    grant(api, definition_id, customer)
    r = pay(api, customer, 1000, coupon_of(api, customer, definition_id)["coupon_id"])
    assert r.status_code == 422 and r.json()["error"]["code"] == "coupon_not_applicable"
    assert r.json()["error"]["details"]["reason"] == "the coupon is for another merchant"
    below = define(api, min_spend=2000)
    grant(api, below, customer)
    r = pay(api, customer, 1000, coupon_of(api, customer, below)["coupon_id"])
    assert r.status_code == 422 and "minimum spend" in r.json()["error"]["details"]["reason"]
    nobody = pay(api, customer, 1000, "cpn_not_mine")
    assert nobody.status_code == 404 and nobody.json()["error"]["code"] == "coupon_not_found"
    assert api.balance(customer)["total"] == 5000


def test_the_per_customer_limit_holds_across_grants(api):
    definition_id = define(api, per_customer_limit=1)
    customer = api.unique_user("coupon-limit")
    assert grant(api, definition_id, customer)["granted"] == 1
    second = grant(api, definition_id, customer)
    assert second["granted"] == 0 and second["skipped"] == [{"user_id": customer.user_id, "code": "limit_reached"}]
    assert (
        len([c for c in api.get("/v1/coupons", customer).json()["coupons"] if c["definition_id"] == definition_id]) == 1
    )


def test_a_void_and_a_full_refund_give_the_coupon_back(api):
    definition_id = define(api, per_customer_limit=2, budget_count=10)
    customer = api.unique_user("coupon-back")
    api.fund(customer, 5000)
    grant(api, definition_id, customer)
    coupon_id = coupon_of(api, customer, definition_id)["coupon_id"]
    held = pay(api, customer, 1000, coupon_id, capture=False).json()
    assert held["status"] == "authorized" and coupon_of(api, customer, definition_id)["state"] == "held"
    assert api.post(f"/v1/payments/{held['payment_id']}/void", customer, key=str(uuid.uuid4())).status_code == 200
    assert coupon_of(api, customer, definition_id)["state"] == "available"
    paid = pay(api, customer, 1000, coupon_id).json()
    assert coupon_of(api, customer, definition_id)["state"] == "used"
    r = api.post(
        f"/v1/payments/{paid['payment_id']}/refunds",
        api.service(),
        {"amount": 700, "reason": "all back"},
        key=str(uuid.uuid4()),
    )
    assert r.status_code == 201 and r.json()["coupon_restored"] is True
    assert coupon_of(api, customer, definition_id)["state"] == "available"
    assert api.balance(customer)["total"] == 5000


def test_a_budget_of_five_is_used_five_times_when_twelve_customers_pay_at_once(api):
    definition_id = define(api, budget_count=5)
    customers = [api.unique_user(f"budget-{i}") for i in range(12)]
    for c in customers:
        api.fund(c, 1000)
    grant(api, definition_id, *customers)
    ready = [
        (c, api.open_checkout(c, 1000)["checkout_id"], coupon_of(api, c, definition_id)["coupon_id"]) for c in customers
    ]
    sessions = [requests.Session() for _ in ready]

    def go(i):
        c, checkout_id, coupon_id = ready[i]
        return sessions[i].post(
            f"{api.url}/v1/payments",
            json={"checkout_id": checkout_id, "coupon_id": coupon_id},
            headers=c.headers(str(uuid.uuid4())),
            timeout=120,
        )

    with ThreadPoolExecutor(12) as pool:
        results = list(pool.map(go, range(12)))
    statuses = sorted(r.status_code for r in results)
    assert statuses == [201] * 5 + [422] * 7, [r.text for r in results]
    assert {r.json()["error"]["code"] for r in results if r.status_code == 422} == {"coupon_budget_exhausted"}
    used = [c for c in customers if coupon_of(api, c, definition_id)["state"] == "used"]
    assert len(used) == 5
    assert sum(api.balance(c)["total"] for c in customers) == 12 * 1000 - 5 * 700


# ---- the points catalogue ------------------------------------------------------------------


def reward(api, **fields):
    reward_id = f"rw-{uuid.uuid4().hex[:8]}"
    body = {"name": "a mug", "kind": "gift", "points_cost": 100, "stock": 3, "per_customer_limit": 1, **fields}
    r = api.request("PUT", f"/v1/admin/rewards/{reward_id}", api.admin(), body)
    assert r.status_code == 200, r.text
    return reward_id


def earn_points(api, customer, points):
    """Points from a payment of points x ¥1 (the local stack's return window is 0)."""
    api.fund(customer, points * 100)
    assert api.pay(customer, points * 100).status_code == 201
    assert api.get("/v1/points", customer).json()["available"] >= points


def redeem(api, customer, reward_id, key=None):
    return api.post(f"/v1/rewards/{reward_id}/redemptions", customer, key=key or str(uuid.uuid4()))


def test_redeeming_a_coupon_reward_spends_points_and_grants_the_coupon_once(api):
    definition_id = define(api)
    reward_id = reward(api, kind="coupon", coupon_definition_id=definition_id, points_cost=150)
    customer = api.unique_user("redeem")
    earn_points(api, customer, 200)
    assert reward_id in {r["reward_id"] for r in api.get("/v1/rewards", customer).json()["rewards"]}
    r = redeem(api, customer, reward_id, key="redeem-once")
    assert r.status_code == 201, r.text
    again = redeem(api, customer, reward_id, key="redeem-once")
    assert again.status_code == 201 and again.json() == r.json() and again.headers["Idempotent-Replayed"] == "true"
    assert api.get("/v1/points", customer).json()["available"] == 50
    assert coupon_of(api, customer, definition_id)["coupon_id"] == r.json()["coupon_id"]
    limit = redeem(api, customer, reward_id)
    assert limit.status_code == 422 and limit.json()["error"]["code"] == "redemption_limit_reached"
    [line] = [e for e in api.get("/v1/points/entries", customer).json()["entries"] if e["type"] == "redemption"]
    assert (line["points"], line["reward_id"]) == (-150, reward_id)


def test_a_reward_is_never_redeemed_beyond_its_stock_or_the_points_held(api):
    reward_id = reward(api, stock=2, points_cost=100)
    customers = [api.unique_user(f"stock-{i}") for i in range(4)]
    for c in customers:
        earn_points(api, c, 100)
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda c: redeem(api, c, reward_id), customers))
    statuses = sorted(r.status_code for r in results)
    assert statuses == [201, 201, 409, 409], [r.text for r in results]
    assert {r.json()["error"]["code"] for r in results if r.status_code == 409} == {"out_of_stock"}
    stock = {r["reward_id"]: r["stock"] for r in api.get("/v1/rewards", customers[0]).json()["rewards"]}
    assert stock[reward_id] == 0
    poor = api.unique_user("no-points")
    r = redeem(api, poor, reward(api, points_cost=1))
    assert r.status_code == 422 and r.json()["error"]["code"] == "insufficient_points"
    report = api.post("/v1/admin/reconciliations", api.admin(), key=str(uuid.uuid4())).json()
    assert [m for m in report["mismatches"] if m["user_id"] in {c.user_id for c in customers}] == []
