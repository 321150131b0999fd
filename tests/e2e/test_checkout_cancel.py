"""A checkout is for a customer the ledger knows, and a merchant can close one its order no longer needs (HTTP)."""

from __future__ import annotations

import uuid

import pytest

pytestmark = pytest.mark.e2e

ITEMS = [{"sku": "tea", "category": "food", "unit_price": 1250, "quantity": 2}]


def checkout_body(user_id: str, order_id: str) -> dict:
    return {"merchant_id": "m-e2e", "order_id": order_id, "user_id": user_id, "items": ITEMS}


def test_a_checkout_for_an_unknown_customer_is_refused_and_the_corrected_one_opens(api):
    customer = api.unique_user("known")
    api.fund(customer, 5000)
    order_id = f"o-{uuid.uuid4().hex[:10]}"

    typo = api.post("/v1/checkouts", api.service(), checkout_body("no-such-user", order_id), key=str(uuid.uuid4()))

    assert typo.status_code == 404, typo.text
    assert typo.json()["error"]["code"] == "customer_not_found"
    fixed = api.post("/v1/checkouts", api.service(), checkout_body(customer.user_id, order_id), key=str(uuid.uuid4()))
    assert fixed.status_code == 201, fixed.text


def test_a_customer_who_only_signed_in_has_no_wallet_yet_and_gets_no_checkout(api):
    newcomer = api.unique_user("newcomer")  # signed in and read the (empty) wallet: nothing written
    r = api.post(
        "/v1/checkouts",
        api.service(),
        checkout_body(newcomer.user_id, f"o-{uuid.uuid4().hex[:10]}"),
        key=str(uuid.uuid4()),
    )
    assert (r.status_code, r.json()["error"]["code"]) == (404, "customer_not_found")


def test_a_cancelled_checkout_is_closed_for_payment_and_its_order_opens_again(api, bus_events):
    customer = api.unique_user("cancel")
    api.fund(customer, 5000)
    order_id = f"o-{uuid.uuid4().hex[:10]}"
    checkout = api.open_checkout(customer, 2500, order_id=order_id)
    shop = api.user("merchant-e2e-staff", "merchant:m-e2e")

    cancelled = api.post(f"/v1/checkouts/{checkout['checkout_id']}/cancel", shop, {"reason": "wrong size"})

    assert cancelled.status_code == 200, cancelled.text
    assert (cancelled.json()["status"], cancelled.json()["cancel_reason"]) == ("cancelled", "wrong size")
    again = api.post(f"/v1/checkouts/{checkout['checkout_id']}/cancel", shop, {})
    assert again.status_code == 200 and again.json() == cancelled.json()  # idempotent: the same answer
    paid = api.post("/v1/payments", customer, {"checkout_id": checkout["checkout_id"]}, key=str(uuid.uuid4()))
    assert (paid.status_code, paid.json()["error"]["code"]) == (409, "checkout_cancelled")
    assert api.balance(customer)["total"] == 5000
    reopened = api.open_checkout(customer, 2500, order_id=order_id)
    assert reopened["status"] == "open" and reopened["checkout_id"] != checkout["checkout_id"]
    [event] = bus_events.wait_for("checkout.cancelled", checkout_id=checkout["checkout_id"])
    assert event["detail"]["order_id"] == order_id and event["detail"]["amount"] == 2500
    assert event["detail"]["reason"] == "wrong size"


def test_a_paid_or_authorized_checkout_is_not_cancelled(api):
    customer = api.unique_user("nocancel")
    api.fund(customer, 5000)
    paid = api.open_checkout(customer, 1000)
    assert (
        api.post("/v1/payments", customer, {"checkout_id": paid["checkout_id"]}, key=str(uuid.uuid4())).status_code
        == 201
    )
    held = api.open_checkout(customer, 1000)
    hold = api.post(
        "/v1/payments", customer, {"checkout_id": held["checkout_id"], "capture": False}, key=str(uuid.uuid4())
    )
    assert hold.status_code == 201, hold.text

    for checkout, code in ((paid, "checkout_paid"), (held, "checkout_authorized")):
        r = api.post(f"/v1/checkouts/{checkout['checkout_id']}/cancel", api.service(), {})
        assert (r.status_code, r.json()["error"]["code"]) == (409, code), r.text
        assert r.json()["error"]["details"]["payment_id"]
    assert api.get(f"/v1/checkouts/{held['checkout_id']}", customer).json()["status"] == "authorized"
    # voided, the authorization's checkout is open again, and may be closed
    void = api.post(f"/v1/payments/{hold.json()['payment_id']}/void", api.service(), {}, key=str(uuid.uuid4()))
    assert void.status_code == 200, void.text
    r = api.post(f"/v1/checkouts/{held['checkout_id']}/cancel", api.service(), {})
    assert r.status_code == 200 and r.json()["status"] == "cancelled"
    assert api.balance(customer)["total"] == 4000
