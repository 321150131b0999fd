"""The reports over the local stack, as an operator and a merchant read them: the obstacles report from the
checkouts' events in the export, the balance share from the payments' and refunds' events, and the liability
against the reconciliation."""

from __future__ import annotations

import time
import uuid

import pytest

pytestmark = pytest.mark.e2e


def ok(r, status: int = 200):
    assert r.status_code == status, r.text
    return r.json()


def quote(api, user, checkout_id: str) -> dict:
    return ok(api.post(f"/v1/checkouts/{checkout_id}/quote", user, {}))


@pytest.fixture(scope="module")
def shop(api):
    """A merchant of the module's own, with a minimum order of 20.00, and four checkouts of known fates."""
    merchant = f"m-rep-{uuid.uuid4().hex[:8]}"
    api.ensure_merchant(merchant)
    staff = api.user(f"staff-{merchant}", f"merchant:{merchant}")
    ok(api.request("PUT", f"/v1/merchants/{merchant}/balance-rules", staff, {"min_order_amount": 2000}))
    rich, poor = api.unique_user("rep-rich"), api.unique_user("rep-poor")
    api.fund(rich, 10_000)
    api.fund(poor, 500)
    paid = api.open_checkout(rich, 3000, merchant_id=merchant)
    assert quote(api, rich, paid["checkout_id"])["payable"]
    ok(api.post("/v1/payments", rich, {"checkout_id": paid["checkout_id"]}, key=str(uuid.uuid4())), 201)
    small = api.open_checkout(rich, 1000, merchant_id=merchant)  # below the minimum
    assert not quote(api, rich, small["checkout_id"])["payable"]
    short = api.open_checkout(poor, 2500, merchant_id=merchant)  # more than the 5.00 the customer holds
    assert not quote(api, poor, short["checkout_id"])["payable"]
    api.open_checkout(rich, 2200, merchant_id=merchant)  # never quoted
    return merchant, staff


def rows_of(body: dict) -> dict:
    return {(r["outcome"], r["reason"]): (r["checkouts"], r["amount"], r["topup_needed"]) for r in body["rows"]}


EXPECTED = {
    ("full", "paid_by_balance"): (1, 3000, 0),
    ("none", "min_order_not_met"): (1, 1000, 0),
    ("none", "insufficient_balance"): (1, 2500, 2000),
    ("none", "never_quoted"): (1, 2200, 0),
}


def test_the_obstacles_report_names_why_each_checkout_was_not_paid_by_balance(api, shop):
    merchant, staff = shop
    deadline, got = time.monotonic() + 60, {}
    while time.monotonic() < deadline:  # the events reach the export through the bus and the runner
        got = rows_of(ok(api.get(f"/v1/admin/reports/obstacles?merchant_id={merchant}", staff)))
        if got == EXPECTED:
            break
        time.sleep(1)
    assert got == EXPECTED
    # an admin reads the same rows among every merchant's
    every = ok(api.get("/v1/admin/reports/obstacles", api.admin()))
    assert rows_of({"rows": [r for r in every["rows"] if r["merchant_id"] == merchant]}) == EXPECTED


def test_a_report_period_is_refused_when_it_cannot_be_one(api, shop):
    merchant, staff = shop
    for query, code in (
        ("from=2026-03-02&to=2026-03-01", "invalid_date_range"),
        ("from=2024-01-01&to=2026-01-01", "invalid_date_range"),
        ("from=2026-02-30", "invalid_date"),
        ("from=yesterday", "invalid_request"),
        ("days=3", "invalid_request"),
    ):
        r = api.get(f"/v1/admin/reports/obstacles?merchant_id={merchant}&{query}", staff)
        assert (r.status_code, r.json()["error"]["code"]) == (400, code), (query, r.text)
    # a merchant's staff names their merchant: all merchants' rows are an admin's
    r = api.get("/v1/admin/reports/obstacles", staff)
    assert (r.status_code, r.json()["error"]["code"]) == (403, "forbidden")


def lots_sum(*parts: dict) -> dict:
    cash, bonus = sum(p["cash"] for p in parts), sum(p["bonus"] for p in parts)
    return {"cash": cash, "bonus": bonus, "total": cash + bonus}


def test_the_balance_share_is_what_balance_paid_of_a_merchants_sales_net_of_refunds(api):
    """A full balance payment of 30.00 refunded 10.00, and 10.00 of which the customer's 4.00 paid by balance (an
    authorization, captured): 40.00 of sales, 6.00 outside, and the share of what balance paid net of the refund."""
    merchant = f"m-share-{uuid.uuid4().hex[:8]}"
    api.ensure_merchant(merchant)
    staff = api.user(f"staff-{merchant}", f"merchant:{merchant}")
    rich, poor = api.unique_user("share-rich"), api.unique_user("share-poor")
    api.fund(rich, 5_000)
    api.fund(poor, 400)
    full = ok(api.pay(rich, 3_000, merchant_id=merchant), 201)
    checkout = api.open_checkout(poor, 1_000, merchant_id=merchant)
    held = ok(
        api.post(
            "/v1/payments", poor, {"checkout_id": checkout["checkout_id"], "allow_partial": True}, key=str(uuid.uuid4())
        ),
        201,
    )
    assert held["status"] == "authorized" and held["external"] == 600
    ok(api.post(f"/v1/payments/{held['payment_id']}/capture", api.service(), {}, key=str(uuid.uuid4())))
    refund = ok(
        api.post(
            f"/v1/payments/{full['payment_id']}/refunds",
            api.service(),
            {"amount": 1_000, "reason": "one item back"},
            key=str(uuid.uuid4()),
        ),
        201,
    )
    paid, back = lots_sum(full["funded_by"], held["funded_by"]), lots_sum(refund["returned_to"])
    assert (paid["total"], back["total"]) == (3_400, 1_000)
    expected = {
        "payments": 2,
        "sales": 4_000,
        "external": 600,
        "balance_paid": paid,
        "refunds": 1,
        "refunded": back,
        "net": lots_sum(paid, {"cash": -back["cash"], "bonus": -back["bonus"]}),
        "share_bp": 2_400 * 10_000 // 4_000,
    }
    deadline, total = time.monotonic() + 60, {}
    while time.monotonic() < deadline:  # the events reach the export through the bus and the runner
        body = ok(api.get(f"/v1/admin/reports/balance-share?merchant_id={merchant}", staff))
        total = body["total"]
        if total == expected:
            break
        time.sleep(1)
    assert total == expected
    assert {r["merchant_id"] for r in body["rows"]} == {merchant} and body["from"] <= body["rows"][0]["day"] <= body[
        "to"
    ]
    # another merchant's staff may not read it; an admin reads the same rows among every merchant's
    other = api.user("staff-m-share-other", "merchant:m-share-other")
    r = api.get(f"/v1/admin/reports/balance-share?merchant_id={merchant}", other)
    assert (r.status_code, r.json()["error"]["code"]) == (403, "forbidden")
    every = ok(api.get("/v1/admin/reports/balance-share", api.admin()))
    assert [r for r in every["rows"] if r["merchant_id"] == merchant] == body["rows"]


def test_the_liability_is_what_the_reconciliation_finds_held(api, shop):
    admin = api.admin()
    liability = ok(api.get("/v1/admin/reports/liability", admin))
    held = ok(api.post("/v1/admin/reconciliations", admin))["totals"]["held"]
    assert liability["total"] == held
    assert sum(r["total"] for r in liability["by_age"]) == held["total"]
