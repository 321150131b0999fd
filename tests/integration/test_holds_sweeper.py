"""Holds on the DynamoDB store (moto): the sweeper finds ended holds through the open-holds index and
releases each exactly once; a capture after the end releases instead and answers 409."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

from chalicelib.domain.model import Merchant, Principal
from chalicelib.domain.pricing import PayOptions
from chalicelib.services import authorizations, clock, payments
from chalicelib.services.admin import reconcile
from chalicelib.services.common import IdempotentRequest, LedgerPolicy
from tests.integration.test_store import CACHE, funded_user, open_checkout

POLICY = LedgerPolicy(hold_ttl_seconds=60)


@pytest.fixture(autouse=True)
def merchant(store):
    store.put_merchant(Merchant("m1", "Shop"), "t")


def hold(store, user) -> str:
    out = payments.pay(
        store,
        POLICY,
        CACHE,
        Principal(user),
        IdempotentRequest(user, str(uuid.uuid4()), "h"),
        open_checkout(store, user),
        PayOptions(capture=False),
    )
    assert out.body["status"] == "authorized"
    return out.body["payment_id"]


def later(monkeypatch, seconds: float) -> None:
    moment = clock.now() + timedelta(seconds=seconds)
    monkeypatch.setattr(clock, "now", lambda: moment)


def test_the_sweeper_releases_ended_holds_once_and_leaves_the_others(store, monkeypatch):
    from chalicelib.handlers.holds import sweep_expired_holds

    user = funded_user(store, 1000)
    ended = hold(store, user)
    later(monkeypatch, 30)
    running = hold(store, user)  # ends 30 s after the first
    assert store.get_wallet(user).held.total == 600
    later(monkeypatch, 61 - 30)  # the first has ended, the second has not
    first = sweep_expired_holds()
    assert first["released"] == [ended]
    assert store.get_payment_with_refunds(ended)[0].status == "expired"
    assert store.get_payment_with_refunds(running)[0].status == "authorized"
    assert store.get_wallet(user).lots.total == 700 and store.get_wallet(user).held.total == 300
    assert sweep_expired_holds()["released"] == []  # the index no longer lists it: nothing twice
    assert authorizations.expire_hold(store, POLICY, ended) is False  # and a stale work list releases nothing
    report = reconcile(store.scan())
    assert [m for m in report["mismatches"] if m["user_id"] == user] == []


def test_a_capture_after_the_end_releases_the_hold_and_answers_409(store, monkeypatch):
    user = funded_user(store, 1000)
    pid = hold(store, user)
    later(monkeypatch, 61)
    shop = Principal("shop", frozenset({"service"}))
    request = IdempotentRequest("shop", "late-capture", "h")
    out = authorizations.capture(store, POLICY, shop, request, pid, None)
    assert out.status_code == 409 and out.body["error"]["code"] == "authorization_expired"
    assert store.get_wallet(user).lots.total == 1000 and store.get_wallet(user).held.total == 0
    again = authorizations.capture(store, POLICY, shop, request, pid, None)  # the same key: the same answer, no move
    assert again.replayed and again.status_code == 409
    assert store.get_wallet(user).lots.total == 1000
