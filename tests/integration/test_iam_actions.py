"""The DynamoDB actions the code performs are exactly those the deployed roles grant (infra/functions.py).

Every public method of the store is driven against moto while botocore's hooks record each call,
translated into the IAM actions DynamoDB authorises (a TransactWriteItems is authorised item by
item as PutItem/UpdateItem/..., a TransactGetItems as GetItem).
"""

from __future__ import annotations

import inspect
import uuid

import pytest

from chalicelib.domain.model import Principal
from chalicelib.domain.checkout import Line
from chalicelib.domain.pricing import PayOptions
from chalicelib.services import (
    admin,
    checkouts,
    coupons,
    membership,
    merchant_rules,
    notifications,
    payments,
    promotions,
    rewards,
    topups,
    wallets,
)
from chalicelib.services.common import LedgerPolicy
from chalicelib.services.merchant_rules import ConfigCache
from chalicelib.services.common import IdempotentRequest
from chalicelib.store.dynamo import DynamoLedgerStore
from infra.functions import BY_ID, FUNCTIONS


def granted(logical_id: str) -> set[str]:
    """What the function's role may do on the table and its indexes: its row in infra/functions.py."""
    return set(BY_ID[logical_id].code_actions)


# every function whose role gets table or index actions, and the test here that drives its code
DRIVEN = {
    "APIHandler": "test_the_api_uses_exactly_the_granted_table_actions",
    "Promotions": "test_the_promotions_function_uses_only_the_table_actions_its_role_must_grant",
    "Reconcile": "test_the_reconciliation_job_uses_exactly_its_granted_table_actions",
    "SweepHolds": "test_the_hold_sweeper_uses_exactly_its_granted_table_and_index_actions",
    "ExpireBonus": "test_the_bonus_expiry_job_uses_exactly_its_granted_table_and_index_actions",
    "Lifecycle": "test_the_lifecycle_consumer_and_the_reminders_job_use_exactly_their_granted_actions",
    "Remind": "test_the_lifecycle_consumer_and_the_reminders_job_use_exactly_their_granted_actions",
}


def test_every_function_granted_table_actions_has_its_code_driven_here():
    """A new row with table actions needs a test here that records what its code does."""
    assert {s.logical_id for s in FUNCTIONS if s.code_actions} == set(DRIVEN)
    assert all(callable(globals().get(name)) for name in DRIVEN.values())


ITEMS = [{"sku": "s1", "category": "books", "unit_price": 300, "quantity": 1}]


@pytest.fixture
def called(store, monkeypatch):
    """Which public store methods ran."""
    names: set[str] = set()
    for name, fn in inspect.getmembers(DynamoLedgerStore, inspect.isfunction):
        if name.startswith("_"):
            continue

        def wrapper(self, *a, __fn=fn, __name=name, **k):
            names.add(__name)
            return __fn(self, *a, **k)

        monkeypatch.setattr(DynamoLedgerStore, name, wrapper)
    return names


def test_the_api_uses_exactly_the_granted_table_actions(store, actions, called, monkeypatch):
    user = f"u-{uuid.uuid4().hex[:8]}"
    req = lambda key: IdempotentRequest(user, key, "h-" + key)
    admin.put_merchant(store, "m-iam", "Shop", "active")
    ok = topups.create_topup(
        store,
        currency="CNY",
        max_balance=10**9,
        principal=Principal(user),
        request=req("t1"),
        amount=1000,
        channel="card",
    )
    topups.confirm_topup(
        store,
        currency="CNY",
        max_attempts=5,
        topup_id=ok.body["topup_id"],
        status="succeeded",
        amount=1000,
        provider_ref="p1",
    )
    bad = topups.create_topup(
        store,
        currency="CNY",
        max_balance=10**9,
        principal=Principal(user),
        request=req("t2"),
        amount=50,
        channel="card",
    )
    topups.confirm_topup(
        store,
        currency="CNY",
        max_attempts=5,
        topup_id=bad.body["topup_id"],
        status="failed",
        amount=50,
        provider_ref="p2",
    )
    operator = Principal("op", frozenset({"admin"}))
    cache = ConfigCache(0)
    merchant_rules.put_rules(store, operator, "m-iam", {"daily_limit": 10**6}, cache)
    merchant_rules.get_rules(store, operator, "m-iam")
    shop = Principal("svc", frozenset({"service"}))
    checkout = checkouts.create_checkout(
        store,
        LedgerPolicy(),
        shop,
        IdempotentRequest("svc", "c", "h-c"),
        merchant_id="m-iam",
        order_id=f"o-{uuid.uuid4().hex[:6]}",
        user_id=user,
        lines=[Line(**i) for i in ITEMS],
        expires_in_seconds=None,
    )
    checkouts.get_checkout(store, Principal(user), checkout.body["checkout_id"])
    dropped = checkouts.create_checkout(
        store,
        LedgerPolicy(),
        shop,
        IdempotentRequest("svc", "c-drop", "h-c"),
        merchant_id="m-iam",
        order_id=f"o-{uuid.uuid4().hex[:6]}",
        user_id=user,
        lines=[Line(**i) for i in ITEMS],
        expires_in_seconds=None,
    )
    checkouts.cancel_checkout(store, LedgerPolicy(), shop, dropped.body["checkout_id"], "wrong order")
    checkouts.quote(store, LedgerPolicy(), cache, Principal(user), checkout.body["checkout_id"], PayOptions())
    warm = ConfigCache(3600)  # a warm merchant whose promotions went stale reads the live promotions alone
    warm.get(store, "m-iam")
    warm.forget_promotions()
    warm.get(store, "m-iam")
    paid = payments.pay(
        store, LedgerPolicy(), cache, Principal(user), req("p"), checkout.body["checkout_id"], PayOptions()
    )
    payments.refund(
        store,
        currency="CNY",
        max_attempts=5,
        principal=Principal("svc", frozenset({"service"})),
        request=IdempotentRequest("svc", "r", "h-r"),
        payment_id=paid.body["payment_id"],
        amount=100,
        reason="return",
    )
    payments.get_payment(store, Principal(user), paid.body["payment_id"])
    admin.adjust(
        store,
        currency="CNY",
        max_attempts=5,
        principal=Principal("op", frozenset({"admin"})),
        request=IdempotentRequest("op", "a", "h-a"),
        user_id=user,
        amount=5,
        lot="bonus",
        reason="goodwill",
    )
    topups.put_plan(
        store,
        f"plan-{user}",
        {
            "name": "more",
            "min_amount": 10**7,
            "bonus_amount": 1,
            "valid_from": "2026-01-01T00:00:00Z",
            "valid_to": "2026-01-02T00:00:00Z",
            "active": False,
        },
    )
    topups.list_plans(store)
    wallets.get_wallet(store, "CNY", user)
    wallets.update_settings(store, "CNY", user, 100)
    wallets.update_settings(store, "CNY", user, None, {"run_out_days": 5, "email": "a@example.com"})
    notifications.list_notifications(store, user, 2, None, True)
    with pytest.raises(Exception):
        notifications.mark_read(store, user, "ntf_000000000000aaaaaaaaaaaaaaaa")
    store.list_entries(user, 2)
    store.list_points_entries(user, 2)
    coupons.put_definition(
        store,
        operator,
        f"cd-{user}",
        {
            "name": "off",
            "kind": "amount_off",
            "value": 10,
            "min_spend": 0,
            "merchant_id": None,
            "balance_pay_only": False,
            "valid_from": "2026-01-01T00:00:00Z",
            "valid_to": "2099-01-01T00:00:00Z",
            "per_customer_limit": 1,
            "budget_count": 3,
            "budget_amount": None,
        },
    )
    coupons.get_definition(store, operator, f"cd-{user}")
    coupons.grant(store, operator, IdempotentRequest("op", f"g-{user}", "h"), f"cd-{user}", [user])
    coupons.list_coupons(store, user, None)
    rewards.put_reward(
        store,
        operator,
        f"rw-{user}",
        {
            "name": "mug",
            "kind": "coupon",
            "points_cost": 1,
            "coupon_definition_id": f"cd-{user}",
            "stock": 5,
            "per_customer_limit": 1,
            "active": True,
        },
    )
    rewards.list_rewards(store, Principal(user))
    membership.put_tiers(
        store,
        operator,
        [{"name": "base", "threshold": 0, "points_multiplier": 1, "balance_pay_discount_percent": 0}],
        cache,
    )
    membership.get_membership(store, "CNY", user)
    from datetime import timedelta

    from chalicelib.services import clock

    week_later = clock.now() + timedelta(days=8)  # the points the payment earned are available
    monkeypatch.setattr(clock, "now", lambda: week_later)
    assert rewards.redeem(store, LedgerPolicy(), Principal(user), req("redeem"), f"rw-{user}").status_code == 201
    store.list_entries(user, 10, None, "top_up")
    store.get_idempotency(user, "p")
    assert store.health()
    admin.reconcile(store.scan())
    made = _promotion(store, operator, user, cache)
    promotions.list_promotions(store, operator, None)
    promotions.get_promotion(store, operator, made)
    promotions.cancel(store, NoSchedules(), cache, operator, made)

    public = {n for n, _ in inspect.getmembers(DynamoLedgerStore, inspect.isfunction) if not n.startswith("_")}
    # the jobs' work lists, on their indexes, and the reminder functions' calls: their own tests below
    public -= {"open_holds_due", "scan_wallets"} | REMINDER_STORE_METHODS
    assert called == public, f"store methods not exercised here: {sorted(public - called)}"
    assert actions == granted("APIHandler")


class NoSchedules:
    """The scheduler, out of the way: these tests are about the table."""

    def create(self, promotion) -> None:
        pass

    def delete(self, promotion_id) -> None:
        pass


def _promotion(store, operator, user, cache, effect=None) -> str:
    from datetime import timedelta

    from chalicelib.domain.moments import format_time
    from chalicelib.services import clock

    soon = clock.now() + timedelta(seconds=2)
    return promotions.create(
        store,
        NoSchedules(),
        cache,
        promotions.PromotionPolicy(),
        operator,
        IdempotentRequest("op", f"pr-{uuid.uuid4().hex[:8]}", "h"),
        {
            "name": "promo",
            "merchant_id": None,
            "starts_at": format_time(soon),
            "ends_at": format_time(soon + timedelta(hours=1)),
            "effect": effect or {"kind": "extra_balance_discount", "percent": 5, "max_amount": None},
        },
    ).body["promotion_id"]


def test_the_promotions_function_uses_only_the_table_actions_its_role_must_grant(store, actions, monkeypatch):
    from datetime import timedelta

    from chalicelib.services import clock

    operator = Principal("op", frozenset({"admin"}))
    definition = f"cd-promo-{uuid.uuid4().hex[:6]}"
    coupons.put_definition(
        store,
        operator,
        definition,
        {
            "name": "off",
            "kind": "amount_off",
            "value": 10,
            "min_spend": 0,
            "merchant_id": None,
            "balance_pay_only": False,
            "valid_from": "2026-01-01T00:00:00Z",
            "valid_to": "2099-01-01T00:00:00Z",
            "per_customer_limit": 1,
        },
    )
    made = _promotion(
        store,
        operator,
        "u",
        ConfigCache(0),
        {"kind": "grant_coupon", "definition_id": definition, "audience": "all_balance_payers"},
    )
    later = clock.now() + timedelta(seconds=3)
    monkeypatch.setattr(clock, "now", lambda: later)
    actions.clear()
    assert promotions.fire(store, promotions.PromotionPolicy(), made, "start")["grant"]["state"] == "done"
    promotions.fire(store, promotions.PromotionPolicy(), made, "end")
    assert actions == granted("Promotions")


def test_the_reconciliation_job_uses_exactly_its_granted_table_actions(store, actions):
    from dev.reconcile import fire

    actions.clear()
    fire()
    assert actions == granted("Reconcile")


def test_the_hold_sweeper_uses_exactly_its_granted_table_and_index_actions(store, actions, monkeypatch):
    from datetime import timedelta

    from chalicelib.handlers.holds import sweep_expired_holds
    from chalicelib.services import clock

    user = f"u-{uuid.uuid4().hex[:8]}"
    admin.put_merchant(store, "m-sweep", "Shop", "active")
    admin.adjust(
        store,
        currency="CNY",
        max_attempts=5,
        principal=Principal("op", frozenset({"admin"})),
        request=IdempotentRequest("op", f"a-{user}", "h"),
        user_id=user,
        amount=500,
        lot="cash",
        reason="funds",
    )
    checkout = checkouts.create_checkout(
        store,
        LedgerPolicy(),
        Principal("svc", frozenset({"service"})),
        IdempotentRequest("svc", f"c-{user}", "h"),
        merchant_id="m-sweep",
        order_id=f"o-{user}",
        user_id=user,
        lines=[Line(**i) for i in ITEMS],
        expires_in_seconds=None,
    )
    payments.pay(
        store,
        LedgerPolicy(hold_ttl_seconds=60),
        ConfigCache(0),
        Principal(user),
        IdempotentRequest(user, "p", "h"),
        checkout.body["checkout_id"],
        PayOptions(capture=False),
    )
    moment = clock.now() + timedelta(seconds=61)
    monkeypatch.setattr(clock, "now", lambda: moment)
    actions.clear()
    assert sweep_expired_holds()["released"]
    assert actions == granted("SweepHolds")


def test_the_bonus_expiry_job_uses_exactly_its_granted_table_and_index_actions(store, actions, monkeypatch):
    from datetime import timedelta

    from chalicelib.domain.bonus import TopupPlan
    from chalicelib.handlers.bonus import expire_due_bonus
    from chalicelib.services import clock

    user = f"u-{uuid.uuid4().hex[:8]}"
    store.put_topup_plan(
        TopupPlan(
            f"p-{user}",
            "more",
            min_amount=123_457,
            bonus_amount=100,
            bonus_valid_days=1,
            valid_from="2000-01-01T00:00:00.000Z",
            valid_to="2999-01-01T00:00:00.000Z",
            version=1,
        ),
        "t",
    )
    ok = topups.create_topup(
        store,
        currency="CNY",
        max_balance=10**9,
        principal=Principal(user),
        request=IdempotentRequest(user, "t", "h"),
        amount=123_457,
        channel="card",
    )
    topups.confirm_topup(
        store,
        currency="CNY",
        max_attempts=5,
        topup_id=ok.body["topup_id"],
        status="succeeded",
        amount=123_457,
        provider_ref="p",
    )
    store.put_topup_plan(
        TopupPlan(
            f"p-{user}",
            "more",
            min_amount=123_457,
            bonus_amount=100,
            active=False,
            valid_from="2000-01-01T00:00:00.000Z",
            valid_to="2999-01-01T00:00:00.000Z",
            version=2,
        ),
        "t",
    )
    moment = clock.now() + timedelta(days=2)
    monkeypatch.setattr(clock, "now", lambda: moment)
    actions.clear()
    assert expire_due_bonus()["expired"].get(user) == 100
    assert actions == granted("ExpireBonus")


# what only the lifecycle consumer and the daily reminders job call (they write notifications, send e-mail)
REMINDER_STORE_METHODS = {
    "wallets_to_remind",
    "wallets_with_bonus_due",
    "put_notification",
    "get_notification",
    "claim_email",
    "email_sent",
    "release_email",
}


def test_the_lifecycle_consumer_and_the_reminders_job_use_exactly_their_granted_actions(store, actions, called):
    from datetime import datetime, timezone

    from chalicelib.services import reminders

    user = f"u-{uuid.uuid4().hex[:8]}"
    wallets.update_settings(store, "CNY", user, 1000, {"run_out_days": 30, "email": "a@example.com"})
    from chalicelib.store.models import WalletItem, wallet_key

    today = datetime.now(timezone.utc).date().isoformat()
    # 50 in the wallet through the ledger (the reconciliation of this table must stay clean), and a spending
    # history that makes it run out within the month
    admin.adjust(
        store,
        currency="CNY",
        max_attempts=5,
        principal=Principal("op", frozenset({"admin"})),
        request=IdempotentRequest("op", f"fund-{user}", "h"),
        user_id=user,
        amount=50,
        lot="cash",
        reason="funds",
    )
    WalletItem(*wallet_key(user)).update(actions=[WalletItem.spend_days.set({today: 100})])
    sent: list[str] = []

    def fail_once(sender, to, subject, text):
        if not sent:
            sent.append("failed")
            raise RuntimeError("SES refused")
        sent.append(to)
        return "m-1"

    delivery = reminders.Delivery("noreply@example.com", fail_once)
    actions.clear()
    called.clear()
    detail = {"event_id": f"e-{user}", "user_id": user, "balance": 50, "threshold": 1000}
    with pytest.raises(RuntimeError):  # a failed e-mail, then its redelivery
        reminders.on_balance_low(store, delivery, detail, datetime.now(timezone.utc))
    assert reminders.on_balance_low(store, delivery, detail, datetime.now(timezone.utc))["email"] == "sent"
    reminders.on_payment_succeeded(
        store, delivery, {"user_id": user, "payment_id": f"p-{user}"}, datetime.now(timezone.utc)
    )
    assert actions == granted("Lifecycle")
    actions.clear()
    report = reminders.run_daily(store, delivery, (5000,), datetime.now(timezone.utc))
    assert report["run_out"]["notified"] >= 1 and report["emails"]["sent"] >= 1
    assert actions == granted("Remind")
    assert REMINDER_STORE_METHODS <= called
