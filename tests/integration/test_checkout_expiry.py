"""A checkout that ends unpaid, on moto: the hold sweeper finds it through the open-holds index and expires it,
and the table's stream, read by the local event source mapping (dev/lifecycle.StreamReader) and handed to the
publisher's handler, puts exactly one ``checkout.expired`` on the bus for it, and none for a paid one."""

from __future__ import annotations

from datetime import timedelta

import pytest

from chalicelib.domain.model import Merchant
from chalicelib.domain.moments import format_time
from chalicelib.services import clock
from tests.integration.test_publisher import bus, drain, store_endpoint, stream_reader  # noqa: F401 (bus: fixture)
from tests.integration.test_store import ITEMS, funded_user, open_checkout, pay


@pytest.fixture(autouse=True)
def merchant(store):
    store.put_merchant(Merchant("m1", "Shop"), "t")


def test_an_unpaid_checkout_past_its_expiry_is_one_checkout_expired_and_a_paid_one_none(store, bus, monkeypatch):  # noqa: F811
    from chalicelib.handlers.holds import sweep_expired_holds
    from chalicelib.handlers.publisher import publish_batch

    reader = stream_reader(store_endpoint(), publish_batch)
    bus()  # what other tests published is not this test's
    user = funded_user(store, 1000)
    unpaid = open_checkout(store, user, expires_in_seconds=60)
    paid = open_checkout(store, user, expires_in_seconds=60)
    assert pay(store, user, key="pay-expiry", checkout_id=paid).status_code == 201
    expires_at = store.snapshot(checkout=unpaid).checkout.expires_at
    moment = clock.now() + timedelta(seconds=61)
    monkeypatch.setattr(clock, "now", lambda: moment)

    first = sweep_expired_holds()
    second = sweep_expired_holds()  # the next schedule: nothing is due twice

    assert unpaid in first["checkouts_expired"] and paid not in first["checkouts_expired"]
    assert unpaid not in second["checkouts_expired"]
    assert store.snapshot(checkout=unpaid).checkout.status == "expired"
    assert store.snapshot(checkout=paid).checkout.status == "paid"
    drain(reader)
    mine = [e for e in bus() if e["detail-type"].startswith("checkout.") and e["detail"]["user_id"] == user]
    assert sorted((e["detail-type"], e["detail"]["checkout_id"]) for e in mine) == sorted(
        [("checkout.opened", unpaid), ("checkout.opened", paid), ("checkout.expired", unpaid)]
    )
    [expired] = [e["detail"] for e in mine if e["detail-type"] == "checkout.expired"]
    assert {k: v for k, v in expired.items() if k != "event_id"} == {
        "checkout_id": unpaid,
        "merchant_id": "m1",
        "order_id": store.snapshot(checkout=unpaid).checkout.order_id,
        "user_id": user,
        "amount": 300,
        "lines": ITEMS,
        "expires_at": expires_at,
        "occurred_at": format_time(moment),
    }
