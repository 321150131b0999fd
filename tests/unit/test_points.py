"""Points on the in-memory store with the clock set: earn, mature, spend, hold, refund, claw back."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from chalicelib.domain.checkout import Line
from chalicelib.domain.model import Merchant, Principal
from chalicelib.domain.pricing import PayOptions
from chalicelib.services import admin, authorizations, checkouts, clock, payments, refunds, wallets
from chalicelib.services.common import LedgerPolicy
from chalicelib.services.merchant_rules import ConfigCache

from .fakes import FakeLedgerStore
from .test_services import fund, req

SHOP = Principal("shop", frozenset({"service"}))
ALICE = Principal("alice")
T0 = datetime(2026, 11, 25, 4, 0, tzinfo=timezone.utc)
POLICY = LedgerPolicy()


@pytest.fixture
def store():
    s = FakeLedgerStore()
    s.put_merchant(Merchant("m1", "Shop"), "t")
    fund(s, "alice", 100_000)
    return s


@pytest.fixture
def at(at):
    at(T0)  # every test here starts at T0
    return at


def pay(store, amount, points=0, n=[0], **options):
    n[0] += 1
    cid = checkouts.create_checkout(
        store,
        POLICY,
        SHOP,
        req(f"c{n[0]}", scope="shop"),
        merchant_id="m1",
        order_id=f"o{n[0]}",
        user_id="alice",
        lines=[Line("s", "c", amount, 1)],
        expires_in_seconds=None,
    ).body["checkout_id"]
    return payments.pay(
        store, POLICY, ConfigCache(0), ALICE, req(f"p{n[0]}"), cid, PayOptions(points=points, **options)
    ).body


def account(store):
    return wallets.get_points(store, "CNY", "alice", clock.now())


def refund(store, payment_id, amount, key):
    return refunds.refund(
        store,
        currency="CNY",
        max_attempts=5,
        principal=SHOP,
        request=req(key, scope="shop"),
        payment_id=payment_id,
        amount=amount,
        reason="return",
    ).body


def clean(store) -> bool:
    return admin.reconcile(store.scan())["mismatches"] == []


def test_points_are_earned_on_what_balance_paid_and_wait_out_the_return_window(store, at):
    p = pay(store, 10_050)  # ¥100.50 from balance: 100 points
    assert p["points_earned"] == 100
    assert account(store) | {"user_id": None} == {
        "user_id": None,
        "available": 0,
        "pending": 100,
        "held": 0,
        "lifetime_earned": 100,
        "next_available_at": "2026-12-02T04:00:00.000Z",
    }
    at(T0 + timedelta(days=7))
    assert account(store)["available"] == 100 and account(store)["pending"] == 0
    spent = pay(store, 1000, points=100)  # 1 point = 1 fen; at most half the order
    assert spent["points_spent"] == 100 and spent["funded_by"]["cash"] == 900 and spent["points_earned"] == 9
    assert account(store)["available"] == 0 and account(store)["pending"] == 9
    entries = wallets.list_points_entries(store, "alice", 10, None)["entries"]
    assert [(e["type"], e["points"]) for e in entries] == [("payment", -91), ("payment", 100)]
    assert clean(store)


def test_a_refund_gives_spent_points_back_and_takes_earned_ones_back_pro_rata(store, at):
    pay(store, 40_000)  # 400 points
    at(T0 + timedelta(days=8))
    p = pay(store, 1000, points=400)  # 500 cap, 400 asked: balance pays 600, earns 6
    assert (p["points_spent"], p["points_earned"]) == (400, 6)
    half = refund(store, p["payment_id"], 300, "r1")
    assert (half["points_returned"], half["points_clawed_back"], half["points_shortfall"]) == (200, 3, 0)
    rest = refund(store, p["payment_id"], 300, "r2")
    assert (rest["points_returned"], rest["points_clawed_back"]) == (200, 3)
    assert account(store)["available"] == 400 and account(store)["pending"] == 0
    assert clean(store)


def test_a_clawback_of_points_already_spent_never_goes_below_zero(store, at):
    first = pay(store, 50_000)  # 500 points
    at(T0 + timedelta(days=8))
    pay(store, 1000, points=500)  # all of them spent elsewhere
    assert account(store)["available"] == 0
    r = refund(store, first["payment_id"], 50_000, "r-all")
    # all 500 were to be taken back; none were left to take: recorded as the shortfall, not collected
    assert r["points_clawed_back"] == 500 and r["points_shortfall"] == 500
    assert account(store)["available"] == 0 and account(store)["pending"] == 5  # the second payment's, untouched
    assert clean(store)


def test_an_authorization_holds_its_points_and_spends_them_at_capture(store, at):
    pay(store, 30_000)  # 300 points
    at(T0 + timedelta(days=8))
    a = pay(store, 1000, points=300, capture=False)
    assert a["status"] == "authorized" and a["points_spent"] == 300 and a["points_earned"] == 0
    assert account(store)["available"] == 0 and account(store)["held"] == 300
    done = authorizations.capture(store, POLICY, SHOP, req("cap", scope="shop"), a["payment_id"], None).body
    assert done["points_spent"] == 300 and done["points_earned"] == 7
    assert account(store)["held"] == 0 and account(store)["pending"] == 7
    assert clean(store)


def test_a_void_gives_held_points_back(store, at):
    pay(store, 30_000)
    at(T0 + timedelta(days=8))
    a = pay(store, 1000, points=200, capture=False)
    authorizations.void(store, POLICY, ALICE, req("void"), a["payment_id"])
    assert account(store)["available"] == 300 and account(store)["held"] == 0
    assert [e["type"] for e in wallets.list_points_entries(store, "alice", 10, None)["entries"]][:2] == [
        "release",
        "authorization",
    ]
    assert clean(store)
