"""Checkouts under merchant rules, over HTTP: the quote says what the payment then does, field by field.

Every scenario opens a checkout at a merchant of its own (with the rules it names), asks for a quote,
then pays with the same options. A payment that goes through must match its quote; one that is
refused must be refused with the quote's refusal code, and write nothing.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

import pytest

from tests.e2e.conftest import assert_nothing_written, table_items

pytestmark = pytest.mark.e2e

BOOK = {"sku": "book-1", "category": "books", "unit_price": 1000, "quantity": 1}
WINE = {"sku": "wine-1", "category": "alcohol", "unit_price": 3000, "quantity": 1}


@dataclass(frozen=True)
class Scenario:
    rules: dict[str, Any]
    items: list[dict[str, Any]]
    cash: int
    bonus: int = 0
    options: dict[str, Any] = field(default_factory=dict)
    status: int = 201
    code: str | None = None  # the refusal's code (when status is 4xx)
    expect: dict[str, Any] = field(default_factory=dict)  # fields of the payment (201)


SCENARIOS = {
    "no rules: balance pays all, bonus first": Scenario(
        {},
        [BOOK],
        cash=5000,
        bonus=300,
        expect={"amount": 1000, "funded_by": {"cash": 700, "bonus": 300}, "external": 0, "discount_total": 0},
    ),
    "a discount for paying by balance, capped": Scenario(
        {"balance_pay_discount": {"percent": 5, "max_amount": 30}},
        [BOOK],
        cash=5000,
        expect={
            "discount_total": 30,
            "funded_by": {"cash": 970, "bonus": 0},
            "discounts": [{"source": "balance_pay", "amount": 30}],
        },
    ),
    "rounding down to the fen": Scenario(
        {"balance_pay_discount": {"percent": 3, "max_amount": None}},
        [{**BOOK, "unit_price": 333}],
        cash=5000,
        expect={"discount_total": 9, "funded_by": {"cash": 324, "bonus": 0}},
    ),
    "an excluded category, no combined payment asked": Scenario(
        {"excluded_categories": ["alcohol"]}, [BOOK, WINE], cash=9000, status=422, code="excluded_items"
    ),
    "below the minimum": Scenario({"min_order_amount": 1001}, [BOOK], cash=9000, status=422, code="min_order_not_met"),
    "exactly the minimum": Scenario(
        {"min_order_amount": 1000}, [BOOK], cash=9000, expect={"funded_by": {"cash": 1000, "bonus": 0}}
    ),
    "short of balance": Scenario({}, [BOOK], cash=400, status=422, code="insufficient_balance"),
    "a combined payment the merchant never allows": Scenario(
        {"partial_pay": {"allowed": "never"}},
        [BOOK],
        cash=400,
        options={"allow_partial": True},
        status=422,
        code="partial_payment_not_allowed",
    ),
    "a combined payment is an authorization of the balance part": Scenario(
        {},
        [BOOK],
        cash=400,
        options={"allow_partial": True},
        expect={"status": "authorized", "funded_by": {"cash": 400, "bonus": 0}, "external": 600},
    ),
    "authorize only (capture false)": Scenario(
        {},
        [BOOK],
        cash=5000,
        options={"capture": False},
        expect={"status": "authorized", "funded_by": {"cash": 1000, "bonus": 0}, "external": 0},
    ),
    "a combined payment inside the merchant's share cap": Scenario(
        {"partial_pay": {"allowed": "always", "max_share_percent": 25}},
        [BOOK],
        cash=900,
        options={"allow_partial": True},
        expect={"status": "authorized", "funded_by": {"cash": 250, "bonus": 0}, "external": 750},
    ),
    "over the day's limit": Scenario({"daily_limit": 999}, [BOOK], cash=5000, status=422, code="daily_limit_exceeded"),
}


def setup(api, scenario: Scenario) -> tuple[Any, dict[str, Any], str]:
    merchant_id = f"m-rules-{uuid.uuid4().hex[:8]}"
    api.ensure_merchant(merchant_id)
    staff = api.user(f"staff-{merchant_id}", f"merchant:{merchant_id}")
    r = api.request("PUT", f"/v1/merchants/{merchant_id}/balance-rules", staff, scenario.rules)
    assert r.status_code == 200, r.text
    customer = api.unique_user("rules")
    if scenario.cash:
        api.fund(customer, scenario.cash)
    if scenario.bonus:
        api.grant_bonus(customer, scenario.bonus)
    if not (scenario.cash or scenario.bonus):
        api.make_known(customer)  # an empty wallet: the ledger opens checkouts only for customers it knows
    checkout = api.open_checkout(customer, merchant_id=merchant_id, items=scenario.items)
    return customer, checkout, r.json()["version"]


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_the_payment_does_exactly_what_the_quote_said(api, ddb, local_stack, name):
    s = SCENARIOS[name]
    customer, checkout, version = setup(api, s)
    cid = checkout["checkout_id"]
    quote = api.post(f"/v1/checkouts/{cid}/quote", customer, s.options)
    assert quote.status_code == 200, quote.text
    q = quote.json()
    before = table_items(ddb, local_stack.table)

    paid = api.post("/v1/payments", customer, {"checkout_id": cid, **s.options}, key=str(uuid.uuid4()))

    assert paid.status_code == s.status, paid.text
    assert q["rules_version"] == version
    if s.status == 201:
        p = paid.json()
        assert q["payable"] is True and q["refusal"] is None
        for f in ("amount", "discounts", "discount_total", "funded_by", "external", "status", "rules_version"):
            assert p[f] == q[f], (f, p[f], q[f])
        assert q["balance"] == p["funded_by"]["cash"] + p["funded_by"]["bonus"]
        assert {k: p[k] for k in s.expect} == s.expect
        captured = p["status"] == "succeeded"
        assert api.get(f"/v1/checkouts/{cid}", customer).json()["status"] == ("paid" if captured else "authorized")
        stored = api.get(f"/v1/payments/{p['payment_id']}", customer).json()
        assert stored["checkout_id"] == cid and stored["rules_version"] == version
        assert stored["refundable"] == (q["balance"] if captured else 0)
    else:
        assert q["payable"] is False and q["refusal"]["code"] == s.code
        assert paid.json()["error"]["code"] == s.code
        assert_nothing_written(before, table_items(ddb, local_stack.table), "a refused payment wrote to the table")
        assert api.get(f"/v1/checkouts/{cid}", customer).json()["status"] == "open"


def test_points_earned_by_one_payment_pay_part_of_the_next_exactly_as_quoted(api):
    customer, first, _ = setup(
        api,
        Scenario(
            {"balance_pay_discount": {"percent": 10, "max_amount": None}}, [{**BOOK, "unit_price": 50_000}], cash=60_000
        ),
    )
    paid = api.post("/v1/payments", customer, {"checkout_id": first["checkout_id"]}, key=str(uuid.uuid4())).json()
    assert paid["discount_total"] == 5000 and paid["points_earned"] == 450  # on the ¥450 balance paid
    points = api.get("/v1/points", customer).json()
    assert points["available"] == 450 and points["lifetime_earned"] == 450  # (return window 0 in this stack)
    second = api.open_checkout(customer, merchant_id=first["merchant_id"], items=[BOOK])
    q = api.post(f"/v1/checkouts/{second['checkout_id']}/quote", customer, {"points": 450}).json()
    # at most half the order in points; the discount is on what balance pays (500 - 50)
    assert (q["points"], q["points_value"], q["discount_total"], q["balance"]) == (450, 450, 55, 495)
    p = api.post(
        "/v1/payments", customer, {"checkout_id": second["checkout_id"], "points": 450}, key=str(uuid.uuid4())
    ).json()
    assert (p["points_spent"], p["points_value"], p["discount_total"]) == (
        q["points"],
        q["points_value"],
        q["discount_total"],
    )
    assert p["funded_by"] == q["funded_by"] and p["points_earned"] == q["points_to_earn"] == 4
    assert api.get("/v1/points", customer).json()["available"] == 4
    too_many = api.post(
        f"/v1/checkouts/{api.open_checkout(customer, 1000)['checkout_id']}/quote", customer, {"points": 5}
    ).json()
    assert too_many["payable"] is False and too_many["refusal"]["code"] == "insufficient_points"
    entries = api.get("/v1/points/entries", customer).json()["entries"]
    assert [e["points"] for e in entries] == [4 - 450, 450]


def test_the_daily_limit_counts_every_payment_of_the_day(api):
    s = Scenario({"daily_limit": 1500}, [BOOK], cash=5000)
    customer, first, _ = setup(api, s)
    merchant_id = first["merchant_id"]
    assert (
        api.post("/v1/payments", customer, {"checkout_id": first["checkout_id"]}, key=str(uuid.uuid4())).status_code
        == 201
    )
    second = api.open_checkout(customer, merchant_id=merchant_id, items=[BOOK])
    q = api.post(f"/v1/checkouts/{second['checkout_id']}/quote", customer, {}).json()
    assert q["balance"] == 500 and q["external"] == 500 and [lim["code"] for lim in q["limits"]] == ["daily_limit"]
    r = api.post("/v1/payments", customer, {"checkout_id": second["checkout_id"]}, key=str(uuid.uuid4()))
    assert r.status_code == 422 and r.json()["error"]["code"] == "daily_limit_exceeded"
    assert r.json()["error"]["details"] == {"daily_limit": 1500, "spent_today": 1000}
    # another merchant's limit is its own
    other = setup(api, Scenario({"daily_limit": 1500}, [BOOK], cash=0))
    other_checkout = api.open_checkout(customer, merchant_id=other[1]["merchant_id"], items=[BOOK])
    assert (
        api.post(
            "/v1/payments", customer, {"checkout_id": other_checkout["checkout_id"]}, key=str(uuid.uuid4())
        ).status_code
        == 201
    )


def test_a_paid_checkout_quotes_as_not_payable_and_pays_no_more(api):
    customer, checkout, _ = setup(api, Scenario({}, [BOOK], cash=5000))
    cid = checkout["checkout_id"]
    assert api.post("/v1/payments", customer, {"checkout_id": cid}, key=str(uuid.uuid4())).status_code == 201
    q = api.post(f"/v1/checkouts/{cid}/quote", customer, {}).json()
    assert q["payable"] is False and q["refusal"]["code"] == "order_already_paid"
    again = api.post("/v1/payments", customer, {"checkout_id": cid}, key=str(uuid.uuid4()))
    assert again.status_code == 409 and again.json()["error"]["code"] == "order_already_paid"
    assert api.balance(customer)["total"] == 4000


def test_one_checkout_per_order(api):
    customer = api.unique_user("one-checkout")
    api.make_known(customer)
    first = api.open_checkout(customer, 100, order_id="o-single")
    r = api.post(
        "/v1/checkouts",
        api.service(),
        {"merchant_id": "m-e2e", "order_id": "o-single", "user_id": customer.user_id, "items": [BOOK]},
        key=str(uuid.uuid4()),
    )
    assert r.status_code == 409 and r.json()["error"]["code"] == "checkout_exists"
    api.fund(customer, 100)
    assert (
        api.post("/v1/payments", customer, {"checkout_id": first["checkout_id"]}, key=str(uuid.uuid4())).status_code
        == 201
    )
    r = api.post(
        "/v1/checkouts",
        api.service(),
        {"merchant_id": "m-e2e", "order_id": "o-single", "user_id": customer.user_id, "items": [BOOK]},
        key=str(uuid.uuid4()),
    )
    assert r.status_code == 409 and r.json()["error"]["code"] == "order_already_paid"


def test_rules_are_versioned_and_read_back_as_set(api):
    merchant_id = f"m-ver-{uuid.uuid4().hex[:6]}"
    api.ensure_merchant(merchant_id)
    staff = api.user(f"staff-{merchant_id}", f"merchant:{merchant_id}")
    defaults = api.get(f"/v1/merchants/{merchant_id}/balance-rules", staff).json()
    assert defaults["version"] == 0 and defaults["partial_pay"]["allowed"] == "always"
    doc = {
        "min_order_amount": 100,
        "excluded_skus": ["gift-card"],
        "excluded_categories": ["alcohol"],
        "partial_pay": {
            "allowed": "in_windows",
            "windows": [{"days": ["sat", "sun"], "from": "22:00", "to": "02:00"}],
            "max_share_percent": 60,
        },
        "balance_pay_discount": {"percent": 5, "max_amount": 2000},
        "daily_limit": 50000,
        "timezone": "Asia/Shanghai",
    }
    v1 = api.request("PUT", f"/v1/merchants/{merchant_id}/balance-rules", staff, doc).json()
    v2 = api.request("PUT", f"/v1/merchants/{merchant_id}/balance-rules", staff, {**doc, "daily_limit": None}).json()
    assert (v1["version"], v2["version"]) == (1, 2)
    read = api.get(f"/v1/merchants/{merchant_id}/balance-rules", api.service()).json()
    assert read == v2 and read["daily_limit"] is None
    assert read["partial_pay"]["windows"] == [{"days": ["sat", "sun"], "from": "22:00", "to": "02:00"}]
