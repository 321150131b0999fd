"""Bonus by grant and top-up plans: which bonus is spent, where refunds go, what expires, which plan wins."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from chalicelib.domain.bonus import BonusGrant, Drawn, TopupPlan, best_plan, book, draw, expire, give_back
from chalicelib.domain.checkout import Line
from chalicelib.domain.moments import format_time
from chalicelib.domain.errors import PaymentRefused
from chalicelib.domain.model import Merchant, Principal
from chalicelib.domain.pricing import PayOptions
from chalicelib.services import admin, authorizations, bonus, checkouts, payments, refunds, topups
from chalicelib.services.admin import reconcile
from chalicelib.services.common import LedgerPolicy
from chalicelib.services.merchant_rules import ConfigCache

from .fakes import FakeLedgerStore
from .test_services import req

T0 = datetime(2026, 11, 25, 2, 0, tzinfo=timezone.utc)
SHOP = Principal("shop", frozenset({"service"}))
ADMIN = Principal("ops", frozenset({"admin"}))
ALICE = Principal("alice")


def g(grant_id: str, amount: int, days: int | None) -> BonusGrant:
    return BonusGrant(grant_id, amount, format_time(T0 + timedelta(days=days)) if days is not None else None)


# ---- pure ------------------------------------------------------------------------------------------


def test_spending_draws_the_soonest_expiring_bonus_first_and_never_an_expired_one():
    grants = (g("never", 500, None), g("late", 300, 30), g("soon", 200, 3), g("gone", 100, -1))
    after, drawn = draw(grants, 400, format_time(T0))
    assert [(d.grant_id, d.amount) for d in drawn] == [("soon", 200), ("late", 200)]
    assert {x.grant_id: x.amount for x in after} == {"gone": 100, "late": 100, "never": 500}
    with pytest.raises(Exception):
        draw(grants, 1001, format_time(T0))  # the expired 100 is not there to spend


def test_bonus_given_back_goes_to_the_latest_expiring_grant_first_and_recreates_a_spent_one():
    grants = (g("late", 0, 30),)
    drawn = (
        Drawn("soon", 200, format_time(T0 + timedelta(days=3))),
        Drawn("late", 300, format_time(T0 + timedelta(days=30))),
    )
    after, still = give_back(grants, drawn, 350)
    assert {x.grant_id: x.amount for x in after} == {"late": 300, "soon": 50}
    assert [(d.grant_id, d.amount) for d in still] == [("soon", 150)]
    assert next(x for x in after if x.grant_id == "soon").expires_at == format_time(T0 + timedelta(days=3))


def test_a_wallet_from_before_grants_has_its_bonus_as_one_grant_that_never_expires():
    assert book((), 700) == (BonusGrant("untracked", 700),)
    assert sum(x.amount for x in book((g("a", 100, 5),), 400)) == 400


def test_expire_takes_exactly_the_grants_whose_time_has_come():
    remaining, gone = expire((g("a", 100, -1), g("b", 50, 0), g("c", 70, 1), g("d", 10, None)), format_time(T0))
    assert {x.grant_id for x in gone} == {"a", "b"} and {x.grant_id for x in remaining} == {"c", "d"}


def plan(plan_id: str, **kw) -> TopupPlan:
    base = dict(
        name=plan_id,
        min_amount=10_000,
        valid_from=format_time(T0 - timedelta(days=1)),
        valid_to=format_time(T0 + timedelta(days=10)),
    )
    return TopupPlan(plan_id=plan_id, **{**base, **kw})


def test_the_best_plan_is_the_largest_bonus_then_the_longest_lived():
    now = format_time(T0)
    plans = [
        plan("fixed", bonus_amount=1000, bonus_valid_days=30),
        plan("percent", bonus_percent=20, bonus_max=1500, bonus_valid_days=7),
        plan("same-longer", bonus_amount=1500, bonus_valid_days=90),
        plan("big-min", min_amount=100_000, bonus_amount=9000),
        plan("inactive", bonus_amount=5000, active=False),
        plan("future", bonus_amount=5000, valid_from=format_time(T0 + timedelta(days=1))),
    ]
    assert best_plan(plans, 10_000, now, {}) == (plans[2], 1500)  # 1500 both; 90 days beat 7
    assert best_plan(plans, 9_999, now, {}) == (None, 0)  # below every minimum
    assert best_plan(plans, 100_000, now, {})[0].plan_id == "big-min"
    limited = [plan("once", bonus_amount=800, per_customer_limit=1), plan("always", bonus_amount=500)]
    assert best_plan(limited, 10_000, now, {"once": 1})[0].plan_id == "always"


# ---- use cases on the in-memory store ------------------------------------------------------------


@pytest.fixture
def store(at):
    at(T0)
    s = FakeLedgerStore()
    s.put_merchant(Merchant("m1", "Shop"), "t")
    s.put_topup_plan(plan("p30", bonus_percent=10, bonus_max=2000, bonus_valid_days=30, version=1), "t")
    return s


def top_up(store, amount: int, key: str) -> dict:
    created = topups.create_topup(
        store, currency="CNY", max_balance=10**9, principal=ALICE, request=req(key), amount=amount, channel="card"
    )
    return topups.confirm_topup(
        store,
        currency="CNY",
        max_attempts=5,
        topup_id=created.body["topup_id"],
        status="succeeded",
        amount=amount,
        provider_ref="p",
    ).body


def pay(store, amount: int, n: int, capture: bool = True):
    checkout = checkouts.create_checkout(
        store,
        LedgerPolicy(),
        SHOP,
        req(f"c{n}", scope="shop"),
        merchant_id="m1",
        order_id=f"o{n}",
        user_id="alice",
        lines=[Line("x", "y", amount, 1)],
        expires_in_seconds=None,
    ).body["checkout_id"]
    return payments.pay(
        store, LedgerPolicy(), ConfigCache(0), ALICE, req(f"p{n}"), checkout, PayOptions(capture=capture)
    ).body


def test_a_top_up_gets_its_plans_bonus_as_a_grant_that_expires(store):
    body = top_up(store, 10_000, "t1")
    assert body["bonus"] == 1000 and body["plan_id"] == "p30"
    w = store.wallets["alice"]
    assert w.lots.as_dict() == {"cash": 10_000, "bonus": 1000}
    assert [(x.amount, x.expires_at) for x in w.grants] == [(1000, format_time(T0 + timedelta(days=30)))]
    assert store.entries["alice"][-1].refs["plan_id"] == "p30"
    assert w.as_view()["bonus_expiring"] == [{"amount": 1000, "expires_at": format_time(T0 + timedelta(days=30))}]


def test_expired_bonus_is_not_spent_and_leaves_once_through_an_expiry_entry(store, at):
    top_up(store, 10_000, "t1")
    at(T0 + timedelta(days=31))
    with pytest.raises(PaymentRefused) as refused:  # 11000 in the wallet, but the 1000 bonus expired
        pay(store, 10_500, 1)
    assert refused.value.code == "insufficient_balance"
    assert bonus.expire_bonus(store, LedgerPolicy(), "alice") == 1000
    assert bonus.expire_bonus(store, LedgerPolicy(), "alice") == 0  # exactly once
    entry = store.entries["alice"][-1]
    assert entry.type == "expiry" and entry.delta.as_dict() == {"cash": 0, "bonus": -1000}
    assert store.wallets["alice"].lots.as_dict() == {"cash": 10_000, "bonus": 0}
    report = reconcile(_ledger(store))
    assert report["mismatches"] == [] and report["totals"]["debited"]["expiry"] == 1000


def test_a_refund_returns_bonus_to_its_grant_and_after_expiry_it_leaves_at_the_next_run(store, at):
    top_up(store, 10_000, "t1")  # 1000 bonus for 30 days
    paid = pay(store, 1500, 1)  # bonus first: 1000 bonus + 500 cash
    assert paid["funded_by"] == {"cash": 500, "bonus": 1000}
    assert store.payments[paid["payment_id"]].bonus_from[0].amount == 1000
    at(T0 + timedelta(days=40))  # the grant has expired
    refunds.refund(
        store,
        currency="CNY",
        max_attempts=5,
        principal=SHOP,
        request=req("r1", scope="shop"),
        payment_id=paid["payment_id"],
        amount=1500,
        reason="returned",
    )
    w = store.wallets["alice"]
    assert w.lots.as_dict() == {"cash": 10_000, "bonus": 1000}
    assert w.spendable(format_time(T0 + timedelta(days=40))).bonus == 0  # back, but expired: not spendable
    assert bonus.expire_bonus(store, LedgerPolicy(), "alice") == 1000
    assert reconcile(_ledger(store))["mismatches"] == []


def test_a_partial_capture_gives_the_released_bonus_back_and_keeps_what_it_spent(store):
    top_up(store, 10_000, "t1")
    admin.adjust(
        store,
        currency="CNY",
        max_attempts=5,
        principal=ADMIN,
        request=req("a1", scope="ops"),
        user_id="alice",
        amount=300,
        lot="bonus",
        reason="sorry",
    )  # never expires
    held = pay(store, 1200, 1, capture=False)  # 1000 expiring + 200 of the never-expiring
    assert held["status"] == "authorized"
    assert [x.amount for x in store.wallets["alice"].grants] == [100]
    authorizations.capture(store, LedgerPolicy(), SHOP, req("cap", scope="shop"), held["payment_id"], 700)
    # 700 captured from the held 1200 (bonus first); 500 released: to the latest-expiring grant first
    grants = {x.grant_id: x.amount for x in store.wallets["alice"].grants}
    assert sum(grants.values()) == store.wallets["alice"].lots.bonus == 600
    assert sum(d.amount for d in store.payments[held["payment_id"]].bonus_from) == 700
    assert reconcile(_ledger(store))["mismatches"] == []


def test_a_bonus_correction_takes_the_soonest_expiring_bonus(store):
    top_up(store, 10_000, "t1")
    admin.adjust(
        store,
        currency="CNY",
        max_attempts=5,
        principal=ADMIN,
        request=req("a1", scope="ops"),
        user_id="alice",
        amount=300,
        lot="bonus",
        reason="goodwill",
    )
    admin.adjust(
        store,
        currency="CNY",
        max_attempts=5,
        principal=ADMIN,
        request=req("a2", scope="ops"),
        user_id="alice",
        amount=-400,
        lot="bonus",
        reason="correction",
    )
    assert [(x.amount, x.expires_at) for x in store.wallets["alice"].grants] == [
        (600, format_time(T0 + timedelta(days=30))),
        (300, None),
    ]


def test_a_plans_per_customer_limit_counts_bonuses_received(store):
    store.put_topup_plan(plan("first", bonus_amount=5000, per_customer_limit=1, version=1), "t")
    assert top_up(store, 10_000, "t1")["plan_id"] == "first"
    assert top_up(store, 10_000, "t2")["plan_id"] == "p30"
    assert store.wallets["alice"].plan_uses == {"first": 1, "p30": 1}


def _ledger(store):
    for user, wallet in store.wallets.items():
        yield user, wallet, store.entries.get(user, []), store.points_entries.get(user, [])
