"""Use cases on the in-memory store: replay, refusal, retry, exactly-once settlement, reconciliation."""

from __future__ import annotations

from dataclasses import replace

import pytest

from chalicelib.domain.errors import (
    ConcurrentUpdate,
    IdempotencyKeyReused,
    NotFound,
    OrderAlreadyPaid,
    PaymentRefused,
    TopupNotPending,
    ReadChanged,
    AmountMismatch,
)
from chalicelib.domain.model import Merchant, Principal
from chalicelib.domain.money import Lots
from chalicelib.domain.checkout import Line
from chalicelib.domain.pricing import PayOptions
from chalicelib.services import admin, checkouts, payments, refunds, topups, wallets
from chalicelib.services.common import IdempotentRequest, LedgerPolicy
from chalicelib.services.merchant_rules import ConfigCache

from .fakes import FakeLedgerStore

ALICE = Principal("alice")
ITEMS = [{"sku": "s1", "category": "books", "unit_price": 400, "quantity": 1}]


def req(key: str, body: str = "b", scope: str = "alice") -> IdempotentRequest:
    return IdempotentRequest(scope=scope, key=key, request_hash=f"hash-{body}")


def fund(store: FakeLedgerStore, user: str, amount: int) -> None:
    created = topups.create_topup(
        store,
        currency="CNY",
        max_balance=10**9,
        principal=Principal(user),
        request=req(f"fund-{len(store.topups)}", scope=user),
        amount=amount,
        channel="card",
    )
    topups.confirm_topup(
        store,
        currency="CNY",
        max_attempts=5,
        topup_id=created.body["topup_id"],
        status="succeeded",
        amount=amount,
        provider_ref="p",
    )


SHOP = Principal("shop-service", frozenset({"service"}))


def open_checkout(store, order_id="o1", items=ITEMS, user="alice", merchant="m1") -> str:
    """The merchant opens the order's checkout (once per order; later calls find the same one)."""
    for c in store.checkouts.values():
        if (c.merchant_id, c.order_id) == (merchant, order_id):
            return c.checkout_id
    created = checkouts.create_checkout(
        store,
        LedgerPolicy(),
        SHOP,
        req(f"chk-{merchant}-{order_id}", scope="shop-service"),
        merchant_id=merchant,
        order_id=order_id,
        user_id=user,
        lines=[Line(**i) for i in items],
        expires_in_seconds=None,
    )
    return created.body["checkout_id"]


def do_pay(store, key="k1", body="b", order_id="o1", items=ITEMS, attempts=5, options=PayOptions()):
    checkout_id = open_checkout(store, order_id, items)
    return payments.pay(
        store,
        LedgerPolicy(max_attempts=attempts, max_amount=10**7),
        ConfigCache(0),
        ALICE,
        req(key, body),
        checkout_id,
        options,
    )


@pytest.fixture
def store() -> FakeLedgerStore:
    s = FakeLedgerStore()
    s.put_merchant(Merchant("m1", "Shop"), "t")
    fund(s, "alice", 1000)
    return s


def test_pay_debits_the_wallet_and_writes_one_entry(store):
    outcome = do_pay(store)
    assert outcome.status_code == 201 and not outcome.replayed
    assert store.wallets["alice"].lots == Lots(cash=600)
    assert [e.type for e in store.entries["alice"]] == ["top_up", "payment"]
    assert store.entries["alice"][-1].delta == Lots(cash=-400)


def test_same_key_same_request_replays_without_moving_money(store):
    first = do_pay(store)
    commits = store.commits
    again = do_pay(store)
    assert again.replayed and again.body == first.body and again.status_code == 201
    assert store.commits == commits and store.wallets["alice"].lots.total == 600


def test_replay_wins_even_when_the_balance_no_longer_covers_the_request(store):
    do_pay(store, items=[{"sku": "s", "category": "c", "unit_price": 1000, "quantity": 1}])
    again = do_pay(store, items=[{"sku": "s", "category": "c", "unit_price": 1000, "quantity": 1}])
    assert again.replayed and again.status_code == 201


def test_same_key_with_another_request_is_refused(store):
    do_pay(store, body="first")
    with pytest.raises(IdempotencyKeyReused):
        do_pay(store, body="second", order_id="o2")
    assert store.wallets["alice"].lots.total == 600


def test_a_key_taken_by_a_concurrent_winner_is_answered_from_its_record(store):
    first = do_pay(store)
    # the loser read before the winner committed: simulate by hiding the record from its snapshot
    real_snapshot = store.snapshot

    def as_before_the_winner(**kw):
        snap = real_snapshot(**kw)
        if snap.checkout is None:
            return snap
        return replace(snap, idempotency=None, checkout=replace(snap.checkout, status="open", payment_id=None))

    store.snapshot = as_before_the_winner
    again = do_pay(store)
    assert again.replayed and again.body == first.body
    assert store.wallets["alice"].lots.total == 600


def test_pay_fails_when_balance_is_short_and_writes_nothing(store):
    with pytest.raises(PaymentRefused) as refused:
        do_pay(store, items=[{"sku": "s", "category": "c", "unit_price": 1001, "quantity": 1}])
    assert refused.value.code == "insufficient_balance"
    assert refused.value.details["needed"] == 1001 and refused.value.details["available"] == 1000
    assert store.commits == 1 and {k for k in store.idem if k[0] == "alice"} == {("alice", "fund-0")}
    assert store.checkouts[open_checkout(store, items=[])].status == "open"


def test_an_order_is_paid_once(store):
    do_pay(store, key="k1")
    with pytest.raises(OrderAlreadyPaid):
        do_pay(store, key="k2")
    assert store.wallets["alice"].lots.total == 600


def test_a_checkout_for_an_unknown_merchant_is_not_found(store):
    with pytest.raises(NotFound):
        open_checkout(store, merchant="nope")


def test_a_lost_race_is_retried_and_then_succeeds(store):
    store.fail_next_commits = [ReadChanged(), ReadChanged()]
    assert do_pay(store).status_code == 201
    assert store.wallets["alice"].lots.total == 600


def test_a_retry_plans_from_the_wallet_the_failed_condition_returned_without_reading(store):
    reads = []
    real_snapshot = store.snapshot
    open_checkout(store)
    store.snapshot = lambda **kw: reads.append(kw) or real_snapshot(**kw)
    store.fail_next_commits = [ReadChanged(current=store.wallets["alice"])]
    assert do_pay(store).status_code == 201
    assert len([r for r in reads if "wallet" in r]) == 1 and store.wallets["alice"].lots.total == 600


def test_retries_are_bounded_and_end_in_a_conflict(store):
    store.fail_next_commits = [ReadChanged()] * 3
    with pytest.raises(ConcurrentUpdate):
        do_pay(store, attempts=3)
    assert store.wallets["alice"].lots.total == 1000


def test_a_crash_after_commit_then_a_retry_moves_money_once(store):
    def crash():
        raise RuntimeError("lambda died")

    with pytest.raises(RuntimeError):
        payments.pay(
            store,
            LedgerPolicy(),
            ConfigCache(0),
            ALICE,
            req("k1"),
            open_checkout(store),
            PayOptions(),
            after_commit=crash,
        )
    again = do_pay(store, key="k1")
    assert again.replayed and store.wallets["alice"].lots.total == 600


def test_webhook_credits_once_however_often_it_arrives(store):
    created = topups.create_topup(
        store, currency="CNY", max_balance=10**9, principal=ALICE, request=req("t"), amount=500, channel="alipay"
    )
    tid = created.body["topup_id"]
    results = [
        topups.confirm_topup(
            store, currency="CNY", max_attempts=5, topup_id=tid, status="succeeded", amount=500, provider_ref="x"
        ).body["credited"]
        for _ in range(5)
    ]
    assert results == [True, False, False, False, False]
    assert store.wallets["alice"].lots.cash == 1500


def test_webhook_with_another_amount_credits_nothing(store):
    tid = topups.create_topup(
        store, currency="CNY", max_balance=10**9, principal=ALICE, request=req("t"), amount=500, channel="alipay"
    ).body["topup_id"]
    with pytest.raises(AmountMismatch):
        topups.confirm_topup(
            store, currency="CNY", max_attempts=5, topup_id=tid, status="succeeded", amount=501, provider_ref="x"
        )
    assert store.wallets["alice"].lots.cash == 1000


def test_a_failed_topup_cannot_later_succeed(store):
    tid = topups.create_topup(
        store, currency="CNY", max_balance=10**9, principal=ALICE, request=req("t"), amount=500, channel="alipay"
    ).body["topup_id"]
    topups.confirm_topup(
        store, currency="CNY", max_attempts=5, topup_id=tid, status="failed", amount=500, provider_ref="x"
    )
    with pytest.raises(TopupNotPending):
        topups.confirm_topup(
            store, currency="CNY", max_attempts=5, topup_id=tid, status="succeeded", amount=500, provider_ref="x"
        )
    assert store.wallets["alice"].lots.cash == 1000


def test_refund_returns_money_to_the_lots_it_came_from(store):
    admin.adjust(
        store,
        currency="CNY",
        max_attempts=5,
        principal=Principal("op", frozenset({"admin"})),
        request=req("adj", scope="op"),
        user_id="alice",
        amount=200,
        lot="bonus",
        reason="gift",
    )
    paid = do_pay(store)  # 400 = 200 bonus + 200 cash
    assert paid.body["funded_by"] == {"cash": 200, "bonus": 200}
    merchant = Principal("shop", frozenset({"merchant:m1"}))
    out = refunds.refund(
        store,
        currency="CNY",
        max_attempts=5,
        principal=merchant,
        request=req("r", scope="shop"),
        payment_id=paid.body["payment_id"],
        amount=400,
        reason="return",
    )
    assert out.body["returned_to"] == {"cash": 200, "bonus": 200}
    assert store.wallets["alice"].lots == Lots(cash=1000, bonus=200)


def test_entries_page_newest_first_with_a_cursor(store):
    for i in range(3):
        do_pay(
            store, key=f"k{i}", order_id=f"o{i}", items=[{"sku": "s", "category": "c", "unit_price": 10, "quantity": 1}]
        )
    page = wallets.list_entries(store, "alice", 2, None, None)
    assert [e["type"] for e in page["entries"]] == ["payment", "payment"]
    rest = wallets.list_entries(store, "alice", 2, page["next_cursor"], None)
    assert [e["type"] for e in rest["entries"]] == ["payment", "top_up"] and rest["next_cursor"] is None


def test_reconciliation_is_clean_then_finds_a_balance_changed_behind_the_ledger(store):
    do_pay(store)
    clean = admin.reconcile(store.scan())
    assert clean["mismatches"] == [] and clean["totals"]["conserved"]
    assert clean["totals"]["held"]["total"] == 600
    store.wallets["alice"] = replace(store.wallets["alice"], lots=Lots(cash=999_999))
    report = admin.reconcile(store.scan())
    assert [m["user_id"] for m in report["mismatches"]] == ["alice"]
    assert report["mismatches"][0]["difference"]["cash"] == 999_999 - 600
