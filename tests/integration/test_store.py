"""The DynamoDB store on moto: one definition, one transaction per movement, every guard."""

from __future__ import annotations

import uuid

import boto3
import pytest

from chalicelib.domain.errors import IdempotencyKeyTaken, OrderAlreadyPaid, ReadChanged
from chalicelib.domain.model import Merchant, Principal
from chalicelib.domain.checkout import Line
from chalicelib.domain.pricing import PayOptions
from chalicelib.services import checkouts, payments, topups
from chalicelib.services.common import IdempotentRequest, LedgerPolicy
from chalicelib.services.merchant_rules import ConfigCache

ITEMS = [{"sku": "s1", "category": "books", "unit_price": 300, "quantity": 1}]


def client(endpoint):
    return boto3.client("dynamodb", endpoint_url=endpoint, region_name="us-east-1")


def funded_user(store, amount=1000) -> str:
    user = f"u-{uuid.uuid4().hex[:8]}"
    created = topups.create_topup(
        store,
        currency="CNY",
        max_balance=10**9,
        principal=Principal(user),
        request=IdempotentRequest(user, "fund", "h"),
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
    return user


SHOP = Principal("shop", frozenset({"service"}))
CACHE = ConfigCache(3600)  # warm after the first payment: merchant and rules come from it


def open_checkout(store, user, order_id=None, expires_in_seconds=None) -> str:
    order_id = order_id or f"o-{uuid.uuid4().hex[:8]}"
    created = checkouts.create_checkout(
        store,
        LedgerPolicy(),
        SHOP,
        IdempotentRequest("shop", f"chk-{uuid.uuid4().hex}", "h"),
        merchant_id="m1",
        order_id=order_id,
        user_id=user,
        lines=[Line(**i) for i in ITEMS],
        expires_in_seconds=expires_in_seconds,
    )
    return created.body["checkout_id"]


def pay(store, user, key="k", order_id=None, after_commit=None, checkout_id=None):
    checkout_id = checkout_id or open_checkout(store, user, order_id)
    return payments.pay(
        store,
        LedgerPolicy(max_attempts=5, max_amount=10**7),
        CACHE,
        Principal(user),
        IdempotentRequest(user, key, "h-" + key),
        checkout_id,
        PayOptions(),
        after_commit,
    )


@pytest.fixture(autouse=True)
def merchant(store):
    store.put_merchant(Merchant("m1", "Shop"), "t")


def test_the_table_is_created_from_its_one_definition(moto_table):
    from chalicelib.store.models import table_definition

    d = table_definition()
    described = client(moto_table).describe_table(TableName=d["TableName"])["Table"]
    assert described["KeySchema"] == d["KeySchema"]
    assert described["StreamSpecification"] == {"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"}
    ttl = client(moto_table).describe_time_to_live(TableName=d["TableName"])["TimeToLiveDescription"]
    assert ttl == {"TimeToLiveStatus": "ENABLED", "AttributeName": "expires_at"}


def test_a_payment_is_one_read_and_one_transaction(store, calls):
    user = funded_user(store)
    CACHE.get(store, "m1")  # the function's configuration cache is warm
    checkout_id = open_checkout(store, user)
    calls.clear()
    pay(store, user, checkout_id=checkout_id)
    assert dict(calls) == {"TransactGetItems": 1, "TransactWriteItems": 1}


def test_a_cold_configuration_cache_costs_one_more_read_which_carries_the_live_promotions(store, calls):
    user = funded_user(store)
    checkout_id = open_checkout(store, user)
    calls.clear()
    payments.pay(
        store,
        LedgerPolicy(),
        ConfigCache(3600),
        Principal(user),
        IdempotentRequest(user, "c", "h"),
        checkout_id,
        PayOptions(),
    )
    # the merchant, its rules, the tiers and the live promotions in one TransactGetItems: no Query of the
    # promotions' partition (which a table-walking local moto made the dominant cost of a cold payment)
    assert dict(calls) == {"TransactGetItems": 2, "TransactWriteItems": 1}


def test_a_fresh_merchant_with_stale_promotions_reads_only_the_live_promotions_item(store, calls):
    cache = ConfigCache(3600)
    cache.get(store, "m1")
    cache.forget_promotions()
    calls.clear()
    cache.get(store, "m1")
    assert dict(calls) == {"GetItem": 1}


def test_one_live_checkout_per_order_and_an_expired_one_is_replaced(store):
    from chalicelib.domain.errors import CheckoutExists

    user = funded_user(store)
    first = open_checkout(store, user, order_id="o-one")
    with pytest.raises(CheckoutExists):
        open_checkout(store, user, order_id="o-one")
    stale = open_checkout(store, user, order_id="o-stale", expires_in_seconds=0)
    fresh = open_checkout(store, user, order_id="o-stale")
    assert len({first, stale, fresh}) == 3
    assert store.snapshot(checkout_guard=("m1", "o-stale")).checkout_guard == fresh


def test_a_checkout_is_paid_once_even_by_a_payment_planned_from_a_stale_read(store, monkeypatch):
    from dataclasses import replace

    user = funded_user(store)
    checkout_id = open_checkout(store, user)
    pay(store, user, key="first", checkout_id=checkout_id)
    real = store.snapshot

    def before_the_first_paid(**kw):
        snap = real(**kw)
        return replace(snap, checkout=replace(snap.checkout, status="open")) if snap.checkout else snap

    monkeypatch.setattr(store, "snapshot", before_the_first_paid)
    with pytest.raises(OrderAlreadyPaid):  # the checkout's status is a condition of the transaction
        pay(store, user, key="second", checkout_id=checkout_id)
    assert store.get_wallet(user).lots.cash == 700


def test_a_payment_writes_wallet_entry_payment_order_guard_and_key_together(store, moto_table):
    user = funded_user(store)
    out = pay(store, user, key="k-all", order_id="o-all")
    ddb = client(moto_table)
    table = "balance-ledger-it"
    get = lambda pk, sk: ddb.get_item(TableName=table, Key={"pk": {"S": pk}, "sk": {"S": sk}}).get("Item")
    wallet = get(f"W#{user}", "WALLET")
    assert wallet["cash"] == {"N": "700"} and wallet["version"] == {"N": "2"}
    entry = get(f"W#{user}", "E#000000000002")
    assert entry["type"] == {"S": "payment"} and entry["d_cash"] == {"N": "-300"}
    assert get(f"P#{out.body['payment_id']}", "PAYMENT")["amount"] == {"N": "300"}
    assert get("O#m1#o-all", "ORDER")["payment_id"] == {"S": out.body["payment_id"]}
    idem = get(f"I#{user}#k-all", "IDEM")
    assert int(idem["expires_at"]["N"]) > int(__import__("time").time()) + 24 * 3600


def test_a_stale_wallet_version_commits_nothing(store):
    user = funded_user(store)
    from chalicelib.domain.model import Entry, Movement
    from chalicelib.domain.money import Lots

    wallet = store.get_wallet(user)
    stale = Movement(
        wallet=wallet.__class__(**{**wallet.__dict__, "version": 0}),
        entry=Entry(
            user_id=user,
            seq=1,
            entry_id="e",
            type="adjustment",
            delta=Lots(cash=5),
            balance_after=Lots(cash=1005),
            held_after=Lots(),
            created_at="t",
        ),
    )
    with pytest.raises(ReadChanged) as lost:
        store.commit(stale)
    assert store.get_wallet(user).lots.cash == 1000
    # the failed condition hands back the wallet as it is now, so a retry need not read it again
    assert lost.value.current == wallet
    assert [e.type for e in store.list_entries(user, 10)[0]] == ["top_up"]


def test_the_order_guard_and_the_key_guard_name_themselves(store):
    user = funded_user(store)
    pay(store, user, key="k1", order_id="o-guard")
    with pytest.raises(OrderAlreadyPaid):  # a paid order gets no new checkout
        pay(store, user, key="k2", order_id="o-guard")
    other = funded_user(store)
    pay(store, other, key="same")
    wallet = store.get_wallet(other)
    from chalicelib.domain.model import Entry, IdempotencyRecord, Movement
    from chalicelib.domain.money import Lots

    with pytest.raises(IdempotencyKeyTaken):
        store.commit(
            Movement(
                wallet=wallet,
                entry=Entry(
                    user_id=other,
                    seq=wallet.version + 1,
                    entry_id="e",
                    type="adjustment",
                    delta=Lots(cash=1),
                    balance_after=wallet.lots + Lots(cash=1),
                    held_after=wallet.held,
                    created_at="t",
                ),
                idempotency=IdempotencyRecord(other, "same", "h-same", 201, {}, "t"),
            )
        )
    assert store.get_wallet(other).lots == wallet.lots


def test_entries_page_newest_first_and_filter_by_type(store):
    user = funded_user(store, 5000)
    for i in range(4):
        pay(store, user, key=f"k{i}")
    page, next_seq = store.list_entries(user, 3)
    assert [e.seq for e in page] == [5, 4, 3] and next_seq == 3
    rest, end = store.list_entries(user, 3, next_seq)
    assert [e.seq for e in rest] == [2, 1] and end is None
    top_ups, _ = store.list_entries(user, 10, None, "top_up")
    assert [e.type for e in top_ups] == ["top_up"]


def test_reconciliation_scan_sees_every_wallet_with_its_entries(store):
    user = funded_user(store)
    pay(store, user)
    seen = {uid: (w, entries) for uid, w, entries, _points in store.scan()}
    wallet, entries = seen[user]
    assert wallet.lots.total == 700 and [e.seq for e in entries] == [1, 2]


def test_a_payment_with_rules_coupon_points_and_a_hold_is_one_read_and_one_transaction_of_nine_items(
    store, calls, monkeypatch
):
    from datetime import timedelta

    from chalicelib.services import clock, coupons, merchant_rules
    from chalicelib.store.models import LedgerItem

    admin_user = Principal("op", frozenset({"admin"}))
    merchant_rules.put_rules(
        store,
        admin_user,
        "m1",
        {"balance_pay_discount": {"percent": 5, "max_amount": 100}, "daily_limit": 10**9},
        CACHE,
    )
    definition = f"cd-{uuid.uuid4().hex[:8]}"
    coupons.put_definition(
        store,
        admin_user,
        definition,
        {
            "name": "off",
            "kind": "amount_off",
            "value": 20,
            "min_spend": 0,
            "merchant_id": None,
            "balance_pay_only": False,
            "valid_from": "2026-01-01T00:00:00Z",
            "valid_to": "2099-01-01T00:00:00Z",
            "per_customer_limit": 1,
            "budget_count": 10,
            "budget_amount": None,
        },
    )
    user = funded_user(store, 5000)
    pay(store, user, key="earn")  # 300 fen: 2 points after the discount, pending a week
    coupons.grant(store, admin_user, IdempotentRequest("op", f"g-{user}", "h"), definition, [user])
    [coupon] = store.list_coupons(user)
    week_later = clock.now() + timedelta(days=8)
    monkeypatch.setattr(clock, "now", lambda: week_later)
    checkout_id = open_checkout(store, user)
    CACHE.get(store, "m1")  # a warm function
    sent = []
    events = LedgerItem._get_connection().connection.client.meta.events

    def capture_items(model, params, **_):
        if model.name == "TransactWriteItems":
            sent.append(len(params["TransactItems"]))

    events.register("before-parameter-build.dynamodb.TransactWriteItems", capture_items)
    calls.clear()
    try:
        out = payments.pay(
            store,
            LedgerPolicy(),
            CACHE,
            Principal(user),
            IdempotentRequest(user, "all", "h"),
            checkout_id,
            PayOptions(points=2, coupon_id=coupon.coupon_id, capture=False),
        )
    finally:
        events.unregister("before-parameter-build.dynamodb.TransactWriteItems", capture_items)
    assert out.body["status"] == "authorized" and out.body["points_spent"] == 2 and out.body["coupon_id"]
    assert dict(calls) == {"TransactGetItems": 1, "TransactWriteItems": 1}
    # entry, key, payment, order guard, points entry; wallet, checkout, coupon, budget shard: far below 100
    assert sent == [9]
