"""Membership over HTTP: tiers set by an operator, an upgrade in the payment that crosses the threshold, the
tier's discount and points multiplier in the next quote and payment, and a refund lowering the rolling spend."""

from __future__ import annotations

import uuid

import pytest

pytestmark = pytest.mark.e2e

TIERS = {
    "tiers": [
        {"name": "base", "threshold": 0, "points_multiplier": 1, "balance_pay_discount_percent": 0},
        {"name": "silver", "threshold": 50_000, "points_multiplier": 1.5, "balance_pay_discount_percent": 2},
        {"name": "gold", "threshold": 100_000_000, "points_multiplier": 2, "balance_pay_discount_percent": 5},
    ]
}


@pytest.fixture(scope="module")
def tiers(api):
    r = api.request("PUT", "/v1/admin/tiers", api.admin(), TIERS)
    assert r.status_code == 200, r.text
    yield r.json()
    # the session's other modules expect no tier benefits: one base tier again
    api.request("PUT", "/v1/admin/tiers", api.admin(), {"tiers": TIERS["tiers"][:1]})


def test_the_payment_that_crosses_a_threshold_upgrades_and_the_next_one_gets_the_tier(api, tiers):
    customer = api.unique_user("tier")
    api.fund(customer, 100_000)
    before = api.get("/v1/membership", customer).json()
    assert before["tier"]["name"] == "base" and before["rolling_spend"] == 0
    assert before["next_tier"]["name"] == "silver" and before["to_next_tier"] == 50_000
    crossing = api.pay(customer, 60_000).json()
    assert crossing["tier_after"] == "silver"
    after = api.get("/v1/membership", customer).json()
    assert after["tier"]["name"] == "silver" and after["rolling_spend"] == 60_000
    assert after["downgrade_warning"] is None
    checkout = api.open_checkout(customer, 10_000)
    q = api.post(f"/v1/checkouts/{checkout['checkout_id']}/quote", customer, {}).json()
    assert q["tier"] == "silver" and {"source": "tier", "amount": 200} in q["discounts"]
    assert q["balance"] == 9_800 and q["points_to_earn"] == 147  # 98 yuan x 1.5
    p = api.post("/v1/payments", customer, {"checkout_id": checkout["checkout_id"]}, key=str(uuid.uuid4())).json()
    assert (p["discount_total"], p["points_earned"]) == (200, 147)


def test_a_refund_lowers_the_rolling_spend_and_the_tier_waits_out_its_grace(api, tiers):
    customer = api.unique_user("tier-refund")
    api.fund(customer, 60_000)
    paid = api.pay(customer, 60_000).json()
    assert paid["tier_after"] == "silver"
    r = api.post(
        f"/v1/payments/{paid['payment_id']}/refunds",
        api.service(),
        {"amount": 20_000, "reason": "x"},
        key=str(uuid.uuid4()),
    )
    assert r.status_code == 201, r.text
    m = api.get("/v1/membership", customer).json()
    assert m["rolling_spend"] == 40_000 and m["tier"]["name"] == "silver"
    assert m["downgrade_warning"]["to_tier"] == "base"  # below silver now: down after 30 days unless it spends
