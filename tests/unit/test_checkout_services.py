"""Checkouts, rules and payments on the in-memory store, with the clock set: local midnights, expiry, caching."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from chalicelib.domain.checkout import Line
from chalicelib.domain.errors import CheckoutExpired, Forbidden, NotFound, PaymentRefused, VersionTaken
from chalicelib.domain.model import Merchant, Principal
from chalicelib.domain.pricing import PayOptions
from chalicelib.services import checkouts, merchant_rules, payments
from chalicelib.services.common import IdempotentRequest, LedgerPolicy
from chalicelib.services.merchant_rules import ConfigCache

from .test_services import fund, req

SHOP = Principal("shop", frozenset({"service"}))
STAFF = Principal("staff", frozenset({"merchant:m1"}))
ALICE = Principal("alice")
BOOK = Line("book", "books", 1000, 1)
# 23:50 on Wednesday 25 November in Shanghai (UTC+8)
LATE = datetime(2026, 11, 25, 15, 50, tzinfo=timezone.utc)


@pytest.fixture
def store():
    from .fakes import FakeLedgerStore

    s = FakeLedgerStore()
    s.put_merchant(Merchant("m1", "Shop"), "t")
    fund(s, "alice", 10_000)
    return s


def open_checkout(store, n: int, ttl=None) -> str:
    return checkouts.create_checkout(
        store,
        LedgerPolicy(),
        SHOP,
        req(f"c{n}", scope="shop"),
        merchant_id="m1",
        order_id=f"o{n}",
        user_id="alice",
        lines=[BOOK],
        expires_in_seconds=ttl,
    ).body["checkout_id"]


def pay(store, checkout_id, key, cache=None):
    return payments.pay(store, LedgerPolicy(), cache or ConfigCache(0), ALICE, req(key), checkout_id, PayOptions())


def test_the_daily_limit_starts_again_at_the_merchants_local_midnight(store, at):
    merchant_rules.put_rules(store, STAFF, "m1", {"daily_limit": 1500}, ConfigCache(0))
    at(LATE)
    assert pay(store, open_checkout(store, 1), "p1").status_code == 201
    at(LATE + timedelta(minutes=5))  # 23:55 local: the same day
    with pytest.raises(PaymentRefused) as refused:
        pay(store, open_checkout(store, 2), "p2")
    assert refused.value.code == "daily_limit_exceeded" and refused.value.details["spent_today"] == 1000
    at(LATE + timedelta(minutes=15))  # 00:05 local on Thursday: a new day
    assert pay(store, open_checkout(store, 3), "p3").status_code == 201
    assert store.wallets["alice"].daily_spend == {"m1": ("2026-11-26", 1000)}


def test_an_expired_checkout_quotes_as_expired_and_is_refused(store, at):
    at(LATE)
    cid = open_checkout(store, 1, ttl=1800)
    at(LATE + timedelta(seconds=1800))
    q = checkouts.quote(store, LedgerPolicy(), ConfigCache(0), ALICE, cid, PayOptions())
    assert q["payable"] is False and q["refusal"]["code"] == "checkout_expired"
    assert checkouts.get_checkout(store, ALICE, cid)["status"] == "expired"
    with pytest.raises(CheckoutExpired):
        pay(store, cid, "late")
    assert store.wallets["alice"].lots.total == 10_000


def test_only_its_staff_or_a_service_open_a_merchants_checkouts(store):
    for who in (ALICE, Principal("other-staff", frozenset({"merchant:m2"}))):
        with pytest.raises(Forbidden):
            checkouts.create_checkout(
                store,
                LedgerPolicy(),
                who,
                req("x", scope=who.user_id),
                merchant_id="m1",
                order_id="o",
                user_id="alice",
                lines=[BOOK],
                expires_in_seconds=None,
            )
    assert store.checkouts == {}


def test_only_its_customer_quotes_or_pays_a_checkout(store):
    cid = open_checkout(store, 1)
    bob = Principal("bob")
    with pytest.raises(NotFound):
        checkouts.quote(store, LedgerPolicy(), ConfigCache(0), bob, cid, PayOptions())
    with pytest.raises(NotFound):
        payments.pay(store, LedgerPolicy(), ConfigCache(0), bob, IdempotentRequest("bob", "k", "h"), cid, PayOptions())
    with pytest.raises(NotFound):
        checkouts.get_checkout(store, bob, cid)
    assert checkouts.get_checkout(store, STAFF, cid)["checkout_id"] == cid


def test_a_rules_change_that_loses_a_race_is_written_as_the_next_version(store):
    real = store.put_rules
    lost = []

    def once_lost(rules, document):
        if not lost:
            lost.append(rules.version)
            real(rules, document)  # another change takes this version first
            raise VersionTaken()
        real(rules, document)

    store.put_rules = once_lost
    view = merchant_rules.put_rules(store, STAFF, "m1", {"min_order_amount": 5}, ConfigCache(0))
    assert lost == [1] and view["version"] == 2


def test_the_configuration_cache_serves_a_merchant_for_its_ttl_then_reads_again(store):
    t = [0.0]
    cache = ConfigCache(30, clock=lambda: t[0])
    reads = []
    real = store.snapshot
    store.snapshot = lambda **kw: reads.append(kw) or real(**kw)
    assert cache.get(store, "m1").rules.version == 0
    merchant_rules.put_rules(store, STAFF, "m1", {"min_order_amount": 5}, ConfigCache(0))  # another function
    reads.clear()
    t[0] = 29.9
    assert cache.get(store, "m1").rules.version == 0 and reads == []
    t[0] = 30.0
    assert cache.get(store, "m1").rules.version == 1 and len(reads) == 1


# ---- who a checkout is for, and closing one -------------------------------------------------------------


def test_a_checkout_for_a_customer_the_ledger_does_not_know_is_refused_and_blocks_nothing(store):
    from chalicelib.domain.errors import UnknownCustomer

    with pytest.raises(UnknownCustomer) as refused:
        checkouts.create_checkout(
            store,
            LedgerPolicy(),
            SHOP,
            req("c-nobody", scope="shop"),
            merchant_id="m1",
            order_id="o-typo",
            user_id="no-such-user",
            lines=[BOOK],
            expires_in_seconds=None,
        )
    assert refused.value.details == {"customer_id": "no-such-user"}
    assert store.checkouts == {}
    # the corrected checkout of the same order opens
    fixed = checkouts.create_checkout(
        store,
        LedgerPolicy(),
        SHOP,
        req("c-fixed", scope="shop"),
        merchant_id="m1",
        order_id="o-typo",
        user_id="alice",
        lines=[BOOK],
        expires_in_seconds=None,
    )
    assert fixed.status_code == 201


def test_a_cancelled_checkout_frees_its_order_and_cannot_be_paid(store):
    from chalicelib.domain.errors import PaymentStateConflict

    checkout_id = open_checkout(store, 1)
    view = checkouts.cancel_checkout(store, LedgerPolicy(), SHOP, checkout_id, "customer changed the order")
    assert (view["status"], view["cancel_reason"]) == ("cancelled", "customer changed the order")
    assert checkouts.cancel_checkout(store, LedgerPolicy(), SHOP, checkout_id, None) == view  # again: the same
    with pytest.raises(PaymentStateConflict) as refused:
        pay(store, checkout_id, "p-cancelled")
    assert refused.value.code == "checkout_cancelled"
    quote = checkouts.quote(store, LedgerPolicy(), ConfigCache(0), ALICE, checkout_id, PayOptions())
    assert not quote["payable"] and quote["refusal"]["code"] == "checkout_cancelled"
    assert store.wallets["alice"].lots.total == 10_000
    again = checkouts.create_checkout(
        store,
        LedgerPolicy(),
        SHOP,
        req("c1-again", scope="shop"),
        merchant_id="m1",
        order_id="o1",
        user_id="alice",
        lines=[BOOK],
        expires_in_seconds=None,
    )
    assert again.status_code == 201 and again.body["checkout_id"] != checkout_id


def test_a_paid_or_authorized_checkout_is_not_cancelled(store):
    from chalicelib.domain.errors import PaymentStateConflict

    paid = open_checkout(store, 2)
    pay(store, paid, "p-2")
    held = open_checkout(store, 3)
    payments.pay(store, LedgerPolicy(), ConfigCache(0), ALICE, req("p-3"), held, PayOptions(capture=False))
    for checkout_id, code in ((paid, "checkout_paid"), (held, "checkout_authorized")):
        with pytest.raises(PaymentStateConflict) as refused:
            checkouts.cancel_checkout(store, LedgerPolicy(), SHOP, checkout_id, None)
        assert refused.value.code == code
        assert store.checkouts[checkout_id].status != "cancelled"


def test_only_its_merchants_staff_a_service_or_an_admin_cancel_a_checkout(store):
    checkout_id = open_checkout(store, 4)
    with pytest.raises(Forbidden):
        checkouts.cancel_checkout(store, LedgerPolicy(), ALICE, checkout_id, None)  # its customer
    with pytest.raises(NotFound):
        checkouts.cancel_checkout(
            store, LedgerPolicy(), Principal("staff-2", frozenset({"merchant:m2"})), checkout_id, None
        )
    assert store.checkouts[checkout_id].status == "open"
    staff = Principal("staff-1", frozenset({"merchant:m1"}))
    assert checkouts.cancel_checkout(store, LedgerPolicy(), staff, checkout_id, None)["status"] == "cancelled"


def test_every_quote_leaves_its_trace_with_the_lines_and_the_funds_it_was_priced_from(store, at):
    import jsonschema

    from chalicelib.events.catalogue import SCHEMAS

    at(LATE)
    merchant_rules.put_rules(store, STAFF, "m1", {"min_order_amount": 2000}, ConfigCache(0))
    cid = open_checkout(store, 7)
    traces: list[dict] = []
    q = checkouts.quote(store, LedgerPolicy(), ConfigCache(0), ALICE, cid, PayOptions(), trace=traces.append)
    assert not q["payable"] and [lim["code"] for lim in q["limits"]] == ["min_order_not_met"]
    [detail] = traces
    jsonschema.validate(detail, SCHEMAS["checkout.quoted"], format_checker=jsonschema.FormatChecker())
    assert detail["checkout_id"] == cid and detail["user_id"] == "alice" and detail["merchant_id"] == "m1"
    assert detail["lines"] == [{"sku": "book", "category": "books", "unit_price": 1000, "quantity": 1}]
    assert detail["limits"] == ["min_order_not_met"] and detail["payable"] is False and detail["balance"] == 0
    assert detail["funds"] == {"cash": 10_000, "bonus": 0, "points": 0, "spent_today": 0}
    assert detail["amount"] == 1000 and detail["occurred_at"] == "2026-11-25T15:50:00.000Z"
    # a second quote is an event of its own; a checkout of someone else's leaves none
    checkouts.quote(store, LedgerPolicy(), ConfigCache(0), ALICE, cid, PayOptions(), trace=traces.append)
    assert len(traces) == 2 and traces[0]["event_id"] != traces[1]["event_id"]
    with pytest.raises(NotFound):
        checkouts.quote(store, LedgerPolicy(), ConfigCache(0), Principal("bob"), cid, PayOptions(), trace=traces.append)
    assert len(traces) == 2


def test_a_refused_quote_traces_its_refusal(store, at):
    at(LATE)
    cid = open_checkout(store, 8)
    checkouts.cancel_checkout(store, LedgerPolicy(), SHOP, cid, None)
    traces: list[dict] = []
    checkouts.quote(store, LedgerPolicy(), ConfigCache(0), ALICE, cid, PayOptions(), trace=traces.append)
    assert [t["refusal"] for t in traces] == ["checkout_cancelled"] and traces[0]["payable"] is False


def test_a_checkout_opened_on_the_stream_is_checkout_opened_with_its_lines():
    from chalicelib.events.mapping import events_of

    new = {
        "pk": "C#chk_1",
        "sk": "C",
        "kind": "checkout",
        "checkout_id": "chk_1",
        "merchant_id": "m1",
        "order_id": "o1",
        "user_id": "alice",
        "status": "open",
        "lines": [{"sku": "a", "category": "books", "unit_price": 250, "quantity": 2}],
        "created_at": "2026-11-25T15:50:00.000Z",
        "expires_at": "2026-11-25T16:20:00.000Z",
    }
    [(detail_type, detail)] = events_of("INSERT", None, new)
    assert detail_type == "checkout.opened" and detail["amount"] == 500
    assert detail["lines"] == new["lines"] and detail["expires_at"] == new["expires_at"]
    assert events_of("MODIFY", new, {**new, "status": "paid"}) == []  # paying it is the payment's event


def test_a_payment_for_another_price_than_the_customer_agreed_to_is_refused_and_moves_nothing(store):
    from chalicelib.domain.errors import PaymentStateConflict

    checkout_id = open_checkout(store, 30)
    before = store.get_wallet("alice")
    with pytest.raises(PaymentStateConflict) as refused:  # the page showed 9.00; the order costs 10.00 now
        payments.pay(
            store, LedgerPolicy(), ConfigCache(0), ALICE, req("p-30"), checkout_id, PayOptions(), expected_balance=900
        )
    assert refused.value.code == "price_changed"
    assert refused.value.details == {"checkout_id": checkout_id, "expected_balance": 900, "balance": 1000}
    assert store.get_wallet("alice") == before and store.checkouts[checkout_id].status == "open"
    paid = payments.pay(
        store, LedgerPolicy(), ConfigCache(0), ALICE, req("p-31"), checkout_id, PayOptions(), expected_balance=1000
    )
    assert paid.status_code == 201 and sum(paid.body["funded_by"].values()) == 1000
