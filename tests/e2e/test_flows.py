"""The customer's journey over HTTP: top-up, webhook, pay, refund, history."""

from __future__ import annotations

import uuid


def test_topup_pay_refund_and_history_move_money_as_promised(api):
    # Given a customer with 100.00 cash and 10.00 bonus
    alice = api.unique_user("alice")
    api.fund(alice, 10000)
    api.grant_bonus(alice, 1000)
    assert api.balance(alice) == {"cash": 10000, "bonus": 1000, "total": 11000}

    # When she pays 25.00 (bonus is spent first)
    checkout = api.open_checkout(
        alice,
        order_id="o-flow-1",
        items=[
            {"sku": "a", "category": "books", "unit_price": 1000, "quantity": 2},
            {"sku": "b", "category": "food", "unit_price": 500, "quantity": 1},
        ],
    )
    assert checkout["amount"] == 2500 and checkout["status"] == "open"
    r = api.post("/v1/payments", alice, {"checkout_id": checkout["checkout_id"]}, key=str(uuid.uuid4()))
    assert r.status_code == 201, r.text
    payment = r.json()
    assert payment["amount"] == 2500
    assert payment["funded_by"] == {"cash": 1500, "bonus": 1000}
    assert payment["balance"] == {"cash": 8500, "bonus": 0, "total": 8500}
    assert payment["status"] == "succeeded"

    # And the merchant refunds the whole payment in two parts
    merchant = api.user("merchant-e2e", "merchant:m-e2e")
    pid = payment["payment_id"]
    r1 = api.post(
        f"/v1/payments/{pid}/refunds", merchant, {"amount": 1000, "reason": "one item back"}, key=str(uuid.uuid4())
    )
    assert r1.status_code == 201, r1.text
    r2 = api.post(
        f"/v1/payments/{pid}/refunds", merchant, {"amount": 1500, "reason": "the rest"}, key=str(uuid.uuid4())
    )
    assert r2.status_code == 201, r2.text

    # Then the money went back to the lots it came from, exactly
    assert r1.json()["returned_to"]["cash"] + r2.json()["returned_to"]["cash"] == 1500
    assert r1.json()["returned_to"]["bonus"] + r2.json()["returned_to"]["bonus"] == 1000
    assert api.balance(alice) == {"cash": 10000, "bonus": 1000, "total": 11000}
    detail = api.get(f"/v1/payments/{pid}", alice).json()
    assert detail["refundable"] == 0 and detail["status"] == "refunded" and len(detail["refunds"]) == 2

    # And a third refund is refused, changing nothing
    r3 = api.post(f"/v1/payments/{pid}/refunds", merchant, {"amount": 1, "reason": "too much"}, key=str(uuid.uuid4()))
    assert r3.status_code == 422 and r3.json()["error"]["code"] == "refund_exceeds_payment"
    assert r3.json()["error"]["details"] == {"requested": 1, "refundable": 0}

    # And the history lists every movement newest first, summing to the balance
    entries = api.all_entries(alice)
    assert [e["type"] for e in entries] == ["refund", "refund", "payment", "adjustment", "top_up"]
    assert sum(e["amount"] for e in entries) == 11000
    assert entries[0]["balance_after"]["total"] == 11000
    assert entries[2]["payment_id"] == pid and entries[2]["amount"] == -2500


def test_history_pages_with_an_opaque_cursor_and_filters_by_type(api):
    bob = api.unique_user("bob")
    for _ in range(3):
        api.fund(bob, 100)
    assert api.pay(bob, 50).status_code == 201
    first = api.get("/v1/wallet/entries", bob, params={"limit": 2}).json()
    assert len(first["entries"]) == 2 and first["next_cursor"]
    second = api.get("/v1/wallet/entries", bob, params={"limit": 2, "cursor": first["next_cursor"]}).json()
    assert len(second["entries"]) == 2 and second["next_cursor"] is None
    ids = [e["id"] for e in first["entries"] + second["entries"]]
    assert len(set(ids)) == 4
    top_ups = api.get("/v1/wallet/entries", bob, params={"type": "top_up"}).json()["entries"]
    assert [e["type"] for e in top_ups] == ["top_up"] * 3
    bad = api.get("/v1/wallet/entries", bob, params={"cursor": "not-a-cursor"})
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "invalid_cursor"


def test_a_new_customer_sees_a_zero_wallet_and_can_set_a_low_balance_threshold(api):
    carol = api.unique_user("carol")
    wallet = api.get("/v1/wallet", carol).json()
    assert wallet["balance"] == {"cash": 0, "bonus": 0, "total": 0}
    assert wallet["currency"] == "CNY" and wallet["user_id"] == carol.user_id
    assert wallet["low_balance"] is False
    r = api.request("PUT", "/v1/wallet/settings", carol, {"low_balance_threshold": 2000})
    assert r.status_code == 200 and r.json()["low_balance_threshold"] == 2000
    api.fund(carol, 500)
    wallet = api.get("/v1/wallet", carol).json()
    assert wallet["low_balance_threshold"] == 2000 and wallet["balance"]["total"] == 500
    assert wallet["low_balance"] is True
    api.fund(carol, 1500)
    assert api.get("/v1/wallet", carol).json()["low_balance"] is False


def test_paying_more_than_the_balance_is_refused_with_what_is_missing(api):
    dave = api.unique_user("dave")
    api.fund(dave, 300)
    r = api.pay(dave, 500)
    assert r.status_code == 422
    assert r.json()["error"] == {
        "code": "insufficient_balance",
        "message": r.json()["error"]["message"],
        "details": {"needed": 500, "available": 300},
    }
    assert api.balance(dave)["total"] == 300


def test_an_order_is_paid_once_even_under_another_key(api):
    erin = api.unique_user("erin")
    api.fund(erin, 1000)
    assert api.pay(erin, 100, order_id="o-once").status_code == 201
    again = api.pay(erin, 100, order_id="o-once")
    assert again.status_code == 409 and again.json()["error"]["code"] == "order_already_paid"
    assert api.balance(erin)["total"] == 900


def test_a_checkout_for_an_unknown_merchant_is_404(api):
    fay = api.unique_user("fay")
    r = api.post(
        "/v1/checkouts",
        api.service(),
        {
            "merchant_id": "no-such-merchant",
            "order_id": "o-1",
            "user_id": fay.user_id,
            "items": [{"sku": "a", "category": "c", "unit_price": 100, "quantity": 1}],
        },
        key=str(uuid.uuid4()),
    )
    assert r.status_code == 404 and r.json()["error"]["code"] == "merchant_not_found"
