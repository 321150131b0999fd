"""Money on hold stays on hold whatever else the wallet does meanwhile.

Every entry carries the hold after it, and the wallet's held lots are written from it: a top-up, a refund or
an operator's adjustment made while an authorization is live once wrote held = 0, and the capture that followed
was refused as short of balance. Each movement here runs between an authorization and its capture."""

from __future__ import annotations

import pytest

from chalicelib.domain.model import Principal
from chalicelib.domain.pricing import PayOptions
from chalicelib.services import admin, authorizations, payments, refunds
from chalicelib.services.common import LedgerPolicy
from chalicelib.services.merchant_rules import ConfigCache

from .test_checkout_services import ALICE, SHOP, open_checkout, pay, store  # noqa: F401
from .test_services import fund, req

OPERATOR = Principal("operator", frozenset({"admin"}))


def refund_a_paid_order(store):  # noqa: F811
    paid = pay(store, open_checkout(store, 20), "p-20").body["payment_id"]
    refunds.refund(
        store,
        currency="CNY",
        max_attempts=5,
        principal=SHOP,
        request=req("r-20", scope="shop"),
        payment_id=paid,
        amount=400,
        reason="returned",
    )


def adjust(store):  # noqa: F811
    admin.adjust(
        store,
        currency="CNY",
        max_attempts=5,
        principal=OPERATOR,
        request=req("adj-1", scope="operator"),
        user_id="alice",
        amount=300,
        lot="cash",
        reason="goodwill",
    )


@pytest.mark.parametrize(
    "meanwhile",
    [lambda s: fund(s, "alice", 1000), refund_a_paid_order, adjust],
    ids=["top_up", "refund", "adjustment"],
)
def test_a_movement_between_authorization_and_capture_keeps_the_hold(store, meanwhile):  # noqa: F811
    held = payments.pay(
        store, LedgerPolicy(), ConfigCache(0), ALICE, req("auth-1"), open_checkout(store, 10), PayOptions(capture=False)
    ).body
    on_hold = store.get_wallet("alice").held
    assert on_hold.total == 1000

    meanwhile(store)

    assert store.get_wallet("alice").held == on_hold
    last = store.entries["alice"][-1]
    assert last.held_after == on_hold  # the entry says so too, as the reconciliation reads it
    captured = authorizations.capture(store, LedgerPolicy(), SHOP, req("cap-1", scope="shop"), held["payment_id"], None)
    assert captured.status_code == 200, captured.body
    assert store.get_wallet("alice").held.total == 0
    report = admin.reconcile(store.scan())
    assert report["mismatches"] == [], report["mismatches"]
