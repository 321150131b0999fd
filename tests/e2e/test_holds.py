"""Authorizations over HTTP: a hold, then capture (all or part) or void; holds are never spent twice."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

pytestmark = pytest.mark.e2e

BOOK = {"sku": "book-1", "category": "books", "unit_price": 1000, "quantity": 1}


def authorize(api, customer, amount=1000, **options):
    checkout = api.open_checkout(customer, amount)
    r = api.post("/v1/payments", customer, {"checkout_id": checkout["checkout_id"], **options}, key=str(uuid.uuid4()))
    assert r.status_code == 201, r.text
    return checkout, r.json()


def wallet(api, customer):
    w = api.get("/v1/wallet", customer).json()
    return w["balance"]["total"], w["held"]["total"]


def test_a_combined_payment_holds_the_balance_part_until_the_order_service_captures_it(api):
    customer = api.unique_user("hold")
    api.fund(customer, 400)
    checkout, p = authorize(api, customer, 1000, allow_partial=True)
    assert p["status"] == "authorized" and p["external"] == 600 and p["expires_at"]
    assert p["funded_by"] == {"cash": 400, "bonus": 0}
    assert wallet(api, customer) == (0, 400)
    assert api.get(f"/v1/checkouts/{checkout['checkout_id']}", customer).json()["status"] == "authorized"
    shop = api.service()
    captured = api.post(f"/v1/payments/{p['payment_id']}/capture", shop, {}, key=str(uuid.uuid4()))
    assert captured.status_code == 200, captured.text
    assert captured.json()["status"] == "succeeded" and captured.json()["captured"] == 400
    assert wallet(api, customer) == (0, 0)
    detail = api.get(f"/v1/payments/{p['payment_id']}", customer).json()
    assert detail["status"] == "succeeded" and detail["refundable"] == 400
    assert api.get(f"/v1/checkouts/{checkout['checkout_id']}", customer).json()["status"] == "paid"
    types = [e["type"] for e in api.all_entries(customer)]
    assert types[:2] == ["capture", "authorization"]


def test_a_partial_capture_releases_the_rest_to_the_lots_it_came_from(api):
    customer = api.unique_user("part")
    api.fund(customer, 800)
    api.grant_bonus(customer, 200)
    _, p = authorize(api, customer, 1000, capture=False)
    assert p["status"] == "authorized" and p["external"] == 0 and p["funded_by"] == {"cash": 800, "bonus": 200}
    r = api.post(f"/v1/payments/{p['payment_id']}/capture", api.service(), {"amount": 700}, key=str(uuid.uuid4()))
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["captured"] == 700 and body["released"] == 300
    assert body["funded_by"] == {"cash": 500, "bonus": 200}  # bonus is spent first, as always
    assert api.balance(customer) == {"cash": 300, "bonus": 0, "total": 300}
    more = api.post(f"/v1/payments/{p['payment_id']}/capture", api.service(), {}, key=str(uuid.uuid4()))
    assert more.status_code == 409 and more.json()["error"]["code"] == "payment_already_captured"
    too_much = api.post(
        f"/v1/payments/{p['payment_id']}/refunds", api.service(), {"amount": 701, "reason": "x"}, key=str(uuid.uuid4())
    )
    assert too_much.status_code == 422 and too_much.json()["error"]["code"] == "refund_exceeds_payment"


def test_capturing_more_than_the_hold_is_refused_and_changes_nothing(api):
    customer = api.unique_user("over")
    api.fund(customer, 1000)
    _, p = authorize(api, customer, 1000, capture=False)
    r = api.post(f"/v1/payments/{p['payment_id']}/capture", api.service(), {"amount": 1001}, key=str(uuid.uuid4()))
    assert r.status_code == 422 and r.json()["error"]["code"] == "capture_exceeds_authorization"
    assert wallet(api, customer) == (0, 1000)


def test_the_customer_voids_and_the_checkout_can_be_paid_again(api):
    customer = api.unique_user("void")
    api.fund(customer, 1000)
    checkout, p = authorize(api, customer, 1000, capture=False)
    r = api.post(f"/v1/payments/{p['payment_id']}/void", customer, key=str(uuid.uuid4()))
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "voided" and r.json()["released"] == 1000
    assert wallet(api, customer) == (1000, 0)
    assert api.get(f"/v1/checkouts/{checkout['checkout_id']}", customer).json()["status"] == "open"
    again = api.post("/v1/payments", customer, {"checkout_id": checkout["checkout_id"]}, key=str(uuid.uuid4()))
    assert again.status_code == 201 and again.json()["status"] == "succeeded"
    assert wallet(api, customer) == (0, 0)
    late = api.post(f"/v1/payments/{p['payment_id']}/void", customer, key=str(uuid.uuid4()))
    assert late.status_code == 409 and late.json()["error"]["code"] == "payment_voided"


def test_held_money_cannot_pay_another_order(api):
    customer = api.unique_user("held")
    api.fund(customer, 1000)
    authorize(api, customer, 800, capture=False)
    other = api.open_checkout(customer, 800)
    r = api.post("/v1/payments", customer, {"checkout_id": other["checkout_id"]}, key=str(uuid.uuid4()))
    assert r.status_code == 422 and r.json()["error"]["code"] == "insufficient_balance"
    assert r.json()["error"]["details"] == {"needed": 800, "available": 200}


def test_two_authorizations_racing_for_the_same_balance_hold_it_once(api):
    customer = api.unique_user("race-hold")
    api.fund(customer, 1000)
    checkouts = [api.open_checkout(customer, 800)["checkout_id"] for _ in range(2)]
    sessions = [requests.Session() for _ in range(2)]

    def pay(i):
        return sessions[i].post(
            f"{api.url}/v1/payments",
            json={"checkout_id": checkouts[i], "capture": False},
            headers=customer.headers(str(uuid.uuid4())),
            timeout=60,
        )

    with ThreadPoolExecutor(2) as pool:
        statuses = sorted(r.status_code for r in pool.map(pay, range(2)))
    assert statuses == [201, 422]
    assert wallet(api, customer) == (200, 800)


def test_capture_racing_void_ends_the_hold_once(api):
    customer = api.unique_user("race-end")
    api.fund(customer, 1000)
    _, p = authorize(api, customer, 1000, capture=False)
    shop = api.service()
    sessions = [requests.Session() for _ in range(2)]
    calls = [("capture", {}), ("void", None)]

    def end(i):
        action, body = calls[i]
        h = shop.headers(str(uuid.uuid4()))
        if body is not None:
            h["Content-Type"] = "application/json"
        return action, sessions[i].post(
            f"{api.url}/v1/payments/{p['payment_id']}/{action}", headers=h, json=body, timeout=60
        )

    with ThreadPoolExecutor(2) as pool:
        results = dict(pool.map(end, range(2)))
    statuses = sorted(r.status_code for r in results.values())
    assert statuses == [200, 409], {k: r.text for k, r in results.items()}
    winner = next(k for k, r in results.items() if r.status_code == 200)
    assert wallet(api, customer) == ((0, 0) if winner == "capture" else (1000, 0))
    report = api.post("/v1/admin/reconciliations", api.admin(), key=str(uuid.uuid4())).json()
    assert [m for m in report["mismatches"] if m["user_id"] == customer.user_id] == []
