"""The store's contract: the same cases against the in-memory fake (``tests/unit/fakes.py``) and the DynamoDB
store on moto, through the ports (``chalicelib/services/ports/``) only; and the ports, the DynamoDB stores and
the fakes checked to have the same methods with the same signatures, so that none of them can drift.

Every case makes ids of its own: on moto the table is the integration tests', shared by the whole session.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import typing
import uuid
from dataclasses import replace
from datetime import datetime, timedelta, timezone

import pytest

from chalicelib.domain.bonus import BonusGrant, TopupPlan, add
from chalicelib.domain.checkout import Checkout, Line
from chalicelib.domain.coupons import Coupon, CouponDefinition, CouponTerms, Redemption, Reward
from chalicelib.domain.errors import (
    BudgetShardExhausted,
    CheckoutExists,
    FeedbackExists,
    IdempotencyKeyTaken,
    OrderAlreadyPaid,
    OutOfStock,
    PaymentRefused,
    VersionTaken,
    TopupNotPending,
    ReadChanged,
)
from chalicelib.domain.feedback import Feedback, Subject
from chalicelib.domain.ledger import apply_delta
from chalicelib.domain.model import (
    CouponChange,
    Entry,
    IdempotencyRecord,
    Merchant,
    Movement,
    Payment,
    Refund,
    Settlement,
    Snapshot,
    Topup,
    Wallet,
    new_id,
)
from chalicelib.domain.moments import format_time
from chalicelib.domain.money import Lots
from chalicelib.domain.notifications import EMAIL_NONE, EMAIL_PENDING, EMAIL_SENT, Notification, notification_id
from chalicelib.domain.points import PointsAccount, PointsEntry
from chalicelib.domain.promotions import Effect, Promotion, promotion_id_for
from chalicelib.domain.rules import BalanceRules
from chalicelib.domain.tiers import Tier, TierTable
from chalicelib.services import ports

FAR = "2999-01-01T00:00:00.000Z"


def uid(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


def stamp(moment: datetime | None = None) -> str:
    return format_time(moment or datetime.now(timezone.utc))


def record(scope: str, key: str | None = None) -> IdempotencyRecord:
    return IdempotencyRecord(
        scope=scope,
        key=key or uid("key"),
        request_hash="h",
        status_code=201,
        body={"ok": True, "n": 1},
        created_at=stamp(),
    )


def wallet_of(store, user: str) -> Wallet:
    return store.get_wallet(user) or Wallet(user_id=user, currency="CNY")


def entry(w: Wallet, kind: str, delta: Lots, held_delta: Lots = Lots(), refs: dict | None = None) -> Entry:
    return Entry(
        user_id=w.user_id,
        seq=w.version + 1,
        entry_id=new_id("ent"),
        type=kind,
        delta=delta,
        balance_after=apply_delta(w.lots, delta),
        created_at=stamp(),
        refs=refs or {},
        held_delta=held_delta,
        held_after=apply_delta(w.held, held_delta),
    )


def credit(store, user: str, amount: int = 1000, grant: BonusGrant | None = None) -> Topup:
    """A pending top-up and the movement that credits it (with ``grant``: as bonus too)."""
    topup = Topup(
        topup_id=new_id("top"), user_id=user, amount=amount, channel="card", status="pending", created_at=stamp()
    )
    store.create_topup(topup, record(user))
    w = wallet_of(store, user)
    delta = Lots(cash=amount, bonus=grant.amount if grant else 0)
    store.commit(
        Movement(
            wallet=w,
            entry=entry(w, "top_up", delta, refs={"topup_id": topup.topup_id}),
            topup=replace(topup, status="succeeded", provider_ref="prov", bonus=delta.bonus),
            bonus_grants=add(w.grants, grant) if grant else None,
        )
    )
    return topup


def payment_movement(
    store,
    user: str,
    merchant: str,
    amount: int = 300,
    *,
    order: str | None = None,
    checkout: Checkout | None = None,
    key: str | None = None,
    status: str = "succeeded",
    expires_at: str | None = None,
    wallet: Wallet | None = None,
) -> Movement:
    w = wallet or wallet_of(store, user)
    order = order or (checkout.order_id if checkout else uid("o"))
    p = Payment(
        payment_id=new_id("pay"),
        user_id=user,
        merchant_id=merchant,
        order_id=order,
        amount=amount,
        funded_by=Lots(cash=amount),
        items=[{"sku": "s1", "quantity": 1, "unit_price": amount}],
        created_at=stamp(),
        checkout_id=checkout.checkout_id if checkout else None,
        status=status,
        expires_at=expires_at,
    )
    held = status == "authorized"
    e = entry(
        w,
        "authorization" if held else "payment",
        Lots(cash=-amount),
        held_delta=Lots(cash=amount) if held else Lots(),
        refs={"payment_id": p.payment_id, "merchant_id": merchant, "order_id": order},
    )
    return Movement(wallet=w, entry=e, new_payment=p, checkout=checkout, idempotency=record(user, key))


def void_movement(store, payment: Payment, wallet: Wallet | None = None) -> Movement:
    w = wallet or wallet_of(store, payment.user_id)
    held = payment.funded_by
    e = entry(w, "release", held, held_delta=-held, refs={"payment_id": payment.payment_id})
    return Movement(
        wallet=w, entry=e, settle=Settlement(payment=payment, status="voided", funded_by=Lots(), checkout_status="open")
    )


def new_checkout(merchant: str, user: str, order: str | None = None, expires_in: int = 1800) -> Checkout:
    now = datetime.now(timezone.utc)
    return Checkout(
        checkout_id=new_id("chk"),
        merchant_id=merchant,
        order_id=order or uid("o"),
        user_id=user,
        lines=(Line("s1", "books", 300, 1),),
        status="open",
        created_at=stamp(now),
        expires_at=stamp(now + timedelta(seconds=expires_in)),
    )


def terms(definition_id: str, *, counts_uses: bool = False, shards: int = 2) -> CouponTerms:
    return CouponTerms(
        definition_id=definition_id,
        name="ten off",
        kind="amount_off",
        value=100,
        max_discount=None,
        min_spend=0,
        merchant_id=None,
        balance_pay_only=False,
        valid_from="2020-01-01T00:00:00.000Z",
        valid_to=FAR,
        counts_uses=counts_uses,
        budget_shards=shards,
    )


def coupon_of(t: CouponTerms, user: str, coupon_id: str | None = None) -> Coupon:
    return Coupon(coupon_id=coupon_id or new_id("cpn"), user_id=user, terms=t, state="available", granted_at=stamp())


def redemption(store, user: str, reward: Reward, key: str | None = None, wallet: Wallet | None = None) -> Redemption:
    w = wallet or wallet_of(store, user)
    seq = w.points.version + 1
    pe = PointsEntry(
        user_id=user,
        seq=seq,
        entry_id=new_id("pte"),
        type="redemption",
        after=PointsAccount(available=50, version=seq),
        created_at=stamp(),
        spent=reward.points_cost,
        refs={"reward_id": reward.reward_id},
    )
    return Redemption(wallet=w, reward=reward, points_entry=pe, idempotency=record(user, key))


def notification(user: str, key: str, at: datetime, email: bool = False) -> Notification:
    return Notification(
        notification_id=notification_id(key, at),
        user_id=user,
        type="low_balance",
        title="Balance low",
        body="900 left",
        data={"balance": 900, "currency": "CNY"},
        created_at=stamp(at),
        email_status=EMAIL_PENDING if email else EMAIL_NONE,
        email_to="u@example.com" if email else None,
    )


def promotion(merchant: str, starts_in: timedelta = timedelta(days=1)) -> Promotion:
    starts = datetime.now(timezone.utc).replace(microsecond=0) + starts_in
    return Promotion(
        promotion_id=promotion_id_for(starts, uid("admin"), "k"),
        name="ten percent",
        merchant_id=merchant,
        starts_at=stamp(starts),
        ends_at=stamp(starts + timedelta(days=2)),
        effect=Effect("extra_balance_discount", percent=10),
        status="pending",
        created_at=stamp(),
        created_by="admin",
        request_hash="h",
    )


# ---- the methods: the ports, the DynamoDB stores and the fakes agree --------------------------------------


def _ports() -> list[type]:
    return [
        v
        for v in vars(ports).values()
        if isinstance(v, type) and v.__module__.startswith(f"{ports.__name__}.") and getattr(v, "_is_protocol", False)
    ]


def _methods(cls: type) -> dict[str, typing.Any]:
    """The public methods ``cls`` has (its own and inherited), by name; nothing of ``object`` or ``Protocol``."""
    found: dict[str, typing.Any] = {}
    for klass in cls.__mro__:
        if klass in (object, typing.Protocol, typing.Generic):
            continue
        for name, value in vars(klass).items():
            if (
                not name.startswith("_")
                and name not in found
                and (inspect.isfunction(value) or isinstance(value, (staticmethod, classmethod)))
            ):
                found[name] = getattr(cls, name)
    return found


def _parameters(fn: typing.Any) -> list[tuple[str, typing.Any, typing.Any]]:
    """Names, kinds and defaults (not the annotations: the fakes have none)."""
    return [(p.name, p.kind, p.default) for p in inspect.signature(fn).parameters.values()]


def _whole_stores():
    from chalicelib.store.dynamo import DynamoLedgerStore
    from chalicelib.store.feedback import DynamoFeedbackStore
    from chalicelib.store.profiles import DynamoProfileStore
    from tests.unit.fakes import FakeFeedbackStore, FakeLedgerStore, FakeProfileStore

    return [
        (ports.LedgerStore, DynamoLedgerStore, FakeLedgerStore),
        (ports.FeedbackStore, DynamoFeedbackStore, FakeFeedbackStore),
        (ports.ProfileStore, DynamoProfileStore, FakeProfileStore),
    ]


@pytest.mark.parametrize("whole", [0, 1, 2], ids=["ledger", "feedback", "profiles"])
def test_every_public_method_of_the_dynamodb_store_is_declared_by_a_port_with_its_signature(whole):
    port, real, _ = _whole_stores()[whole]
    declared = _methods(port)
    for name, method in _methods(real).items():
        assert name in declared, f"{real.__name__}.{name} is in no port of chalicelib/services/ports/"
        assert inspect.signature(method) == inspect.signature(declared[name]), (
            f"{name}: the port says {inspect.signature(declared[name])}, the store {inspect.signature(method)}"
        )
    assert set(declared) == set(_methods(real)), "a port declares a method the DynamoDB store does not have"


@pytest.mark.parametrize("whole", [0, 1, 2], ids=["ledger", "feedback", "profiles"])
def test_the_fake_has_every_method_of_every_port_with_the_same_parameters(whole):
    port, _, fake = _whole_stores()[whole]
    fakes = _methods(fake)
    for name, method in _methods(port).items():
        assert name in fakes, f"{fake.__name__} lacks {name}"
        assert _parameters(fakes[name]) == _parameters(method), f"{fake.__name__}.{name}: not the port's parameters"


def test_every_port_declares_methods_of_the_whole_stores_only_with_their_signatures():
    stores = (ports.LedgerStore, ports.FeedbackStore, ports.ProfileStore, ports.CampaignStore, ports.BacktestStore)
    whole = {k: v for store in stores for k, v in _methods(store).items()}
    for port in _ports():
        for name, method in _methods(port).items():
            assert name in whole, f"{port.__name__}.{name} is in none of {[s.__name__ for s in stores]}"
            assert inspect.signature(method) == inspect.signature(whole[name]), f"{port.__name__}.{name}"
    aggregate = {name for port in _ports() if port not in stores for name in vars(port) if not name.startswith("_")}
    assert aggregate == set(whole)  # and each method is declared by some port of its own


def test_every_use_case_names_a_port_for_its_store():
    import chalicelib.services as services

    names = {port.__name__ for port in _ports()}
    unnamed = []
    for info in pkgutil.iter_modules(services.__path__):
        module = importlib.import_module(f"chalicelib.services.{info.name}")
        functions = [f for f in vars(module).values() if inspect.isfunction(f) and f.__module__ == module.__name__]
        functions += [
            f
            for c in vars(module).values()
            if inspect.isclass(c) and c.__module__ == module.__name__
            for f in vars(c).values()
            if inspect.isfunction(f)
        ]
        for f in functions:
            store = inspect.signature(f).parameters.get("store")
            if store is not None and store.annotation not in names and store.annotation != "object":
                unnamed.append(f"{module.__name__}.{f.__qualname__}: store: {store.annotation}")
    assert unnamed == []


# ---- Snapshots ---------------------------------------------------------------------------------------------


def test_a_snapshot_of_nothing_is_empty(ledger):
    assert ledger.snapshot() == Snapshot()


def test_a_snapshot_of_what_does_not_exist_is_none_for_each_key(ledger):
    u, m = uid("u"), uid("m")
    snap = ledger.snapshot(
        wallet=u,
        merchant=m,
        payment=uid("pay"),
        topup=uid("top"),
        idempotency=(u, "k"),
        checkout=uid("chk"),
        paid_order=(m, "o"),
        checkout_guard=(m, "o"),
        rules=m,
        coupon=(u, uid("cpn")),
        reward=uid("rw"),
        redemptions=(uid("rw"), u),
        coupon_definition=uid("cd"),
    )
    assert snap == Snapshot()


def test_a_snapshot_reads_each_key_as_written(ledger):
    user, merchant = uid("u"), uid("m")
    ledger.put_merchant(Merchant(merchant, "Shop"), stamp())
    topup = credit(ledger, user)
    checkout = new_checkout(merchant, user)
    opened = record(merchant)
    ledger.create_checkout(checkout, opened)
    paying = payment_movement(ledger, user, merchant, checkout=checkout)
    ledger.commit(paying)
    rules = BalanceRules.from_view(merchant, BalanceRules(merchant_id=merchant).as_view(), 1, stamp())
    ledger.put_rules(rules, rules.as_view())
    definition = CouponDefinition(terms(uid("cd")), per_customer_limit=1, version=1)
    ledger.put_coupon_definition(definition, stamp(), [])
    coupon = coupon_of(definition.terms, user)
    assert ledger.grant_coupon(coupon, 1) is None
    reward = Reward(
        reward_id=uid("rw"),
        name="mug",
        kind="gift",
        points_cost=10,
        coupon_definition_id=None,
        stock=3,
        per_customer_limit=2,
        active=True,
    )
    ledger.put_reward(reward, stamp())
    ledger.redeem(redemption(ledger, user, reward))
    current = ledger.snapshot(tiers=True).tiers
    tiers = TierTable((Tier("base", 0, 100, 0),), (current.version if current else 0) + 1)
    ledger.put_tiers(tiers, stamp())

    snap = ledger.snapshot(
        wallet=user,
        merchant=merchant,
        payment=paying.new_payment.payment_id,
        topup=topup.topup_id,
        idempotency=(opened.scope, opened.key),
        checkout=checkout.checkout_id,
        paid_order=(merchant, checkout.order_id),
        checkout_guard=(merchant, checkout.order_id),
        rules=merchant,
        coupon=(user, coupon.coupon_id),
        reward=reward.reward_id,
        redemptions=(reward.reward_id, user),
        coupon_definition=definition.terms.definition_id,
        tiers=True,
    )
    assert snap.wallet == ledger.get_wallet(user)
    assert (snap.wallet.lots, snap.wallet.version, snap.wallet.points.version) == (Lots(cash=700), 2, 1)
    assert snap.merchant == Merchant(merchant, "Shop")
    assert snap.payment == paying.new_payment
    assert snap.topup == replace(topup, status="succeeded", provider_ref="prov", bonus=0)
    assert snap.idempotency == opened
    assert snap.checkout == replace(checkout, status="paid", payment_id=paying.new_payment.payment_id)
    assert snap.paid_order == paying.new_payment.payment_id
    assert snap.checkout_guard == checkout.checkout_id
    assert snap.rules == rules
    assert snap.coupon == coupon
    assert snap.reward == replace(reward, stock=2)
    assert snap.redemptions == 1
    assert snap.coupon_definition == definition
    assert snap.tiers == tiers
    assert ledger.snapshot(tiers=False).tiers is None


# ---- Movements: a top-up's credit and a payment, and their refusals --------------------------------------


def test_a_credit_moves_the_wallet_writes_the_entry_and_marks_the_topup_succeeded(ledger):
    user = uid("u")
    topup = credit(ledger, user, 1000)
    wallet = ledger.get_wallet(user)
    assert (wallet.lots, wallet.version, wallet.held) == (Lots(cash=1000), 1, Lots())
    [e] = ledger.list_entries(user, 10)[0]
    assert (e.seq, e.type, e.delta, e.balance_after, e.refs) == (
        1,
        "top_up",
        Lots(cash=1000),
        Lots(cash=1000),
        {"topup_id": topup.topup_id},
    )
    assert ledger.snapshot(topup=topup.topup_id).topup.status == "succeeded"


def test_a_topup_no_longer_pending_is_not_credited_twice(ledger):
    user = uid("u")
    topup = credit(ledger, user, 1000)
    w = ledger.get_wallet(user)
    with pytest.raises(ReadChanged) as refused:
        ledger.commit(
            Movement(
                wallet=w,
                entry=entry(w, "top_up", Lots(cash=1000)),
                topup=replace(topup, status="succeeded", provider_ref="again", bonus=0),
            )
        )
    assert refused.value.current is None  # not only the wallet: the caller re-reads
    assert ledger.get_wallet(user) == w


def test_a_payment_writes_the_payment_its_order_guard_the_entry_and_the_key(ledger):
    user, merchant = uid("u"), uid("m")
    credit(ledger, user, 1000)
    paying = payment_movement(ledger, user, merchant, 300)
    ledger.commit(paying)
    p = paying.new_payment
    snap = ledger.snapshot(
        wallet=user,
        payment=p.payment_id,
        paid_order=(merchant, p.order_id),
        idempotency=(paying.idempotency.scope, paying.idempotency.key),
    )
    assert (snap.wallet.lots, snap.wallet.version) == (Lots(cash=700), 2)
    assert snap.payment == p and snap.paid_order == p.payment_id and snap.idempotency == paying.idempotency
    assert ledger.get_payment_with_refunds(p.payment_id) == (p, [])


def test_a_movement_under_a_key_taken_is_refused_and_writes_nothing(ledger):
    user, merchant = uid("u"), uid("m")
    credit(ledger, user, 1000)
    first = payment_movement(ledger, user, merchant, 300, key="same")
    ledger.commit(first)
    again = payment_movement(ledger, user, merchant, 200, key="same")
    with pytest.raises(IdempotencyKeyTaken):
        ledger.commit(again)
    assert ledger.get_wallet(user).lots == Lots(cash=700)
    assert ledger.snapshot(payment=again.new_payment.payment_id).payment is None


def test_a_second_payment_of_an_order_is_refused_as_already_paid(ledger):
    user, merchant = uid("u"), uid("m")
    credit(ledger, user, 1000)
    first = payment_movement(ledger, user, merchant, 300)
    ledger.commit(first)
    with pytest.raises(OrderAlreadyPaid):
        ledger.commit(payment_movement(ledger, user, merchant, 300, order=first.new_payment.order_id))
    assert ledger.get_wallet(user).lots == Lots(cash=700)


def test_a_movement_planned_from_a_stale_wallet_is_refused_with_the_wallet_as_it_is(ledger):
    user, merchant = uid("u"), uid("m")
    credit(ledger, user, 1000)
    stale = ledger.get_wallet(user)
    ledger.commit(payment_movement(ledger, user, merchant, 100))
    with pytest.raises(ReadChanged) as refused:
        ledger.commit(payment_movement(ledger, user, merchant, 300, wallet=stale))
    assert refused.value.current == ledger.get_wallet(user)
    assert refused.value.current.lots == Lots(cash=900)


def test_a_movement_keeps_the_settings_written_after_its_read(ledger):
    user, merchant = uid("u"), uid("m")
    credit(ledger, user, 1000)
    read = ledger.get_wallet(user)
    ledger.update_settings(user, "CNY", stamp(), threshold=500, reminders={"email": "u@example.com"})
    ledger.commit(payment_movement(ledger, user, merchant, 100, wallet=read))  # settings do not move the version
    after = ledger.get_wallet(user)
    assert (after.lots, after.low_balance_threshold, after.reminders.email) == (Lots(cash=900), 500, "u@example.com")


def test_a_checkout_is_paid_once_and_a_cancelled_one_not_at_all(ledger):
    user, merchant = uid("u"), uid("m")
    credit(ledger, user, 1000)
    checkout = new_checkout(merchant, user)
    ledger.create_checkout(checkout, record(merchant))
    ledger.commit(payment_movement(ledger, user, merchant, checkout=checkout))
    with pytest.raises(OrderAlreadyPaid):  # the checkout is paid too, but the order's guard speaks first
        ledger.commit(payment_movement(ledger, user, merchant, checkout=checkout))
    cancelled = new_checkout(merchant, user)
    ledger.create_checkout(cancelled, record(merchant))
    ledger.cancel_checkout(cancelled, stamp(), None, release_order=True)
    with pytest.raises(ReadChanged) as refused:
        ledger.commit(payment_movement(ledger, user, merchant, checkout=cancelled))
    assert refused.value.current is None
    assert ledger.get_wallet(user).lots == Lots(cash=700)


def test_a_voided_authorization_releases_its_order_which_still_names_it(ledger):
    user, merchant = uid("u"), uid("m")
    credit(ledger, user, 1000)
    checkout = new_checkout(merchant, user)
    ledger.create_checkout(checkout, record(merchant))
    due = stamp(datetime.now(timezone.utc) + timedelta(minutes=30))
    held = payment_movement(ledger, user, merchant, 300, checkout=checkout, status="authorized", expires_at=due)
    ledger.commit(held)
    p = held.new_payment
    w = ledger.get_wallet(user)
    assert (w.lots, w.held) == (Lots(cash=700), Lots(cash=300))
    assert ledger.snapshot(checkout=checkout.checkout_id).checkout.status == "authorized"
    assert p.payment_id in ledger.open_holds_due(stamp(datetime.now(timezone.utc) + timedelta(hours=1)))
    assert p.payment_id not in ledger.open_holds_due(stamp())
    ledger.commit(void_movement(ledger, p))
    snap = ledger.snapshot(
        wallet=user, payment=p.payment_id, checkout=checkout.checkout_id, paid_order=(merchant, p.order_id)
    )
    assert (snap.wallet.lots, snap.wallet.held) == (Lots(cash=1000), Lots())
    assert (snap.payment.status, snap.payment.version, snap.payment.funded_by) == ("voided", 1, Lots())
    assert (snap.checkout.status, snap.checkout.payment_id) == ("open", None)
    assert snap.paid_order == p.payment_id  # the released guard still names the voided payment
    assert p.payment_id not in ledger.open_holds_due(stamp(datetime.now(timezone.utc) + timedelta(hours=1)))
    as_if_held = replace(ledger.get_wallet(user), held=Lots(cash=300))  # the wallet's version is current
    with pytest.raises(ReadChanged) as refused:  # voided once: the payment is no longer authorized at version 0
        ledger.commit(void_movement(ledger, p, wallet=as_if_held))
    assert refused.value.current is None
    again = payment_movement(ledger, user, merchant, 300, checkout=snap.checkout)
    ledger.commit(again)  # the released order may be paid again
    assert ledger.snapshot(paid_order=(merchant, p.order_id)).paid_order == again.new_payment.payment_id


def test_a_refund_is_planned_from_the_payment_version_it_read(ledger):
    user, merchant = uid("u"), uid("m")
    credit(ledger, user, 1000)
    paying = payment_movement(ledger, user, merchant, 300)
    ledger.commit(paying)
    p = paying.new_payment

    def refund(amount: int) -> Movement:
        w = ledger.get_wallet(user)
        r = Refund(
            refund_id=new_id("ref"),
            payment_id=p.payment_id,
            amount=amount,
            returned_to=Lots(cash=amount),
            reason="damaged",
            created_at=stamp(),
        )
        return Movement(
            wallet=w,
            entry=entry(w, "refund", Lots(cash=amount), refs={"payment_id": p.payment_id}),
            refund=r,
            payment=p,
        )

    first = refund(100)
    ledger.commit(first)
    with pytest.raises(ReadChanged) as refused:  # planned from version 0 again
        ledger.commit(refund(100))
    assert refused.value.current is None
    payment, refunds = ledger.get_payment_with_refunds(p.payment_id)
    assert (payment.refunded, payment.version, refunds) == (Lots(cash=100), 1, [first.refund])
    assert ledger.get_wallet(user).lots == Lots(cash=800)


def test_a_budgeted_coupon_takes_a_use_from_a_shard_that_has_one_left(ledger):
    user, merchant = uid("u"), uid("m")
    credit(ledger, user, 1000)
    definition = CouponDefinition(
        terms(uid("cd"), counts_uses=True, shards=2), per_customer_limit=1, budget_count=1, version=1
    )
    ledger.put_coupon_definition(definition, stamp(), [(1, None), (0, None)])
    coupon = coupon_of(definition.terms, user)
    ledger.grant_coupon(coupon, 1)

    def using(shard: int) -> Movement:
        m = payment_movement(ledger, user, merchant, 200)
        assert m.new_payment is not None
        return replace(
            m,
            coupon=CouponChange(
                coupon=coupon, state="used", payment_id=m.new_payment.payment_id, shard=shard, budget=-1, discount=100
            ),
        )

    with pytest.raises(BudgetShardExhausted) as refused:
        ledger.commit(using(1))
    assert refused.value.shard == 1
    paid = using(0)
    ledger.commit(paid)
    assert ledger.snapshot(coupon=(user, coupon.coupon_id)).coupon == replace(
        coupon, state="used", payment_id=paid.new_payment.payment_id, budget_shard=0
    )
    with pytest.raises(ReadChanged):  # the coupon is no longer in the state the movement read
        ledger.commit(using(0))


# ---- Wallets, WalletScans, Points, JobIndexes --------------------------------------------------------------


def test_entries_page_newest_first_and_by_type(ledger):
    user, merchant = uid("u"), uid("m")
    for _ in range(3):
        credit(ledger, user, 500)
    ledger.commit(payment_movement(ledger, user, merchant, 100))
    ledger.commit(payment_movement(ledger, user, merchant, 100))
    page, cursor = ledger.list_entries(user, 2)
    assert ([e.seq for e in page], cursor) == ([5, 4], 4)
    page, cursor = ledger.list_entries(user, 2, before_seq=cursor)
    assert ([e.seq for e in page], cursor) == ([3, 2], 2)
    page, cursor = ledger.list_entries(user, 2, before_seq=cursor)
    assert ([e.seq for e in page], cursor) == ([1], None)
    page, cursor = ledger.list_entries(user, 1, entry_type="payment")
    assert ([e.seq for e in page], cursor) == ([5], 5)
    page, cursor = ledger.list_entries(user, 1, before_seq=cursor, entry_type="payment")
    assert ([e.seq for e in page], cursor) == ([4], None)
    assert ledger.list_entries(uid("nobody"), 5) == ([], None)


def test_points_entries_page_newest_first(ledger):
    user = uid("u")
    reward = Reward(
        reward_id=uid("rw"),
        name="pen",
        kind="gift",
        points_cost=1,
        coupon_definition_id=None,
        stock=10,
        per_customer_limit=10,
        active=True,
    )
    ledger.put_reward(reward, stamp())
    for _ in range(3):
        ledger.redeem(redemption(ledger, user, reward))
    page, cursor = ledger.list_points_entries(user, 2)
    assert ([e.seq for e in page], cursor) == ([3, 2], 2)
    page, cursor = ledger.list_points_entries(user, 2, before_seq=cursor)
    assert ([(e.seq, e.spent, e.type) for e in page], cursor) == ([(1, 1, "redemption")], None)


def test_settings_change_only_what_is_named_and_list_the_wallet_for_reminders(ledger):
    user = uid("u")
    w = ledger.update_settings(
        user,
        "CNY",
        stamp(),
        threshold=300,
        reminders={"run_out_days": 7, "email": "u@example.com", "bonus_expiry_days": 0},
    )
    assert (w.lots, w.version, w.low_balance_threshold) == (Lots(), 0, 300)
    assert (w.reminders.run_out_days, w.reminders.email, w.reminders.bonus_expiry_days) == (7, "u@example.com", None)
    assert ledger.get_wallet(user) == w and user in ledger.wallets_to_remind()
    w = ledger.update_settings(user, "CNY", stamp(), reminders={"run_out_days": None, "email": None})
    assert (w.low_balance_threshold, w.reminders.run_out_days, w.reminders.email) == (300, None, None)
    assert user not in ledger.wallets_to_remind()


def test_marketing_consent_defaults_to_on_and_a_settings_write_changes_only_it(ledger):
    user = uid("u")
    credit(ledger, user, 1000)
    assert ledger.get_wallet(user).marketing_email is True  # never chosen: the default
    before = ledger.get_wallet(user)
    w = ledger.update_settings(user, "CNY", stamp(), marketing_email=False)
    assert (w.marketing_email, w.lots, w.version, w.reminders) == (False, before.lots, before.version, before.reminders)
    assert ledger.get_wallet(user) == w
    assert ledger.update_settings(user, "CNY", stamp(), threshold=10).marketing_email is False  # left as it was
    assert ledger.update_settings(user, "CNY", stamp(), marketing_email=True).marketing_email is True


def test_a_wallet_with_bonus_expiring_is_listed_as_bonus_due(ledger):
    user, soon = uid("u"), stamp(datetime.now(timezone.utc) + timedelta(days=3))
    credit(ledger, user, 100, grant=BonusGrant("bg1", 50, soon, "plan"))
    assert user in ledger.wallets_with_bonus_due(stamp(datetime.now(timezone.utc) + timedelta(days=4)))
    assert user not in ledger.wallets_with_bonus_due(stamp(datetime.now(timezone.utc) + timedelta(days=2)))
    assert ledger.get_wallet(user).bonus_grants == (BonusGrant("bg1", 50, soon, "plan"),)


def test_the_scans_see_every_wallet_once_with_its_entries(ledger):
    users = [uid("u") for _ in range(3)]
    for user in users:
        credit(ledger, user, 100)
    scanned = {user: (w, entries, points) for user, w, entries, points in ledger.scan()}
    for user in users:
        w, entries, points = scanned[user]
        assert w == ledger.get_wallet(user) and [e.seq for e in entries] == [1] and points == []
    seen: list[str] = []
    cursor = None
    for _ in range(10_000):
        page, cursor = ledger.scan_wallets(cursor, 500)
        seen += [w.user_id for w in page]
        if cursor is None:
            break
    assert len(seen) == len(set(seen)) and set(users) <= set(seen)
    assert ledger.health() is True


# ---- Idempotency, Topups, TopupPlans ------------------------------------------------------------------------


def test_an_answer_is_recorded_once_under_its_key(ledger):
    rec = record(uid("caller"))
    assert ledger.get_idempotency(rec.scope, rec.key) is None
    ledger.put_idempotency(rec)
    assert ledger.get_idempotency(rec.scope, rec.key) == rec
    with pytest.raises(IdempotencyKeyTaken):
        ledger.put_idempotency(replace(rec, status_code=200))
    assert ledger.get_idempotency(rec.scope, rec.key) == rec


def test_a_topup_is_created_under_its_key_and_failed_once(ledger):
    user = uid("u")
    topup = Topup(
        topup_id=new_id("top"),
        user_id=user,
        amount=500,
        channel="card",
        status="pending",
        created_at=stamp(),
        option_id="preset-500",
    )
    key = record(user)
    ledger.create_topup(topup, key)
    assert ledger.snapshot(topup=topup.topup_id, idempotency=(key.scope, key.key)) == Snapshot(
        topup=topup, idempotency=key
    )
    with pytest.raises(IdempotencyKeyTaken):
        ledger.create_topup(replace(topup, topup_id=new_id("top")), key)
    ledger.fail_topup(topup, "declined", stamp())
    assert ledger.snapshot(topup=topup.topup_id).topup == replace(topup, status="failed", provider_ref="declined")
    with pytest.raises(TopupNotPending):
        ledger.fail_topup(topup, "declined", stamp())


def test_topup_plans_follow_their_versions(ledger):
    # a window long past: the table is other tests' too, and a plan valid now would add its bonus to their top-ups
    plan = TopupPlan.from_doc(
        uid("plan"),
        {
            "name": "double",
            "min_amount": 1000,
            "bonus_amount": 100,
            "valid_from": "2020-01-01T00:00:00.000Z",
            "valid_to": "2020-12-31T00:00:00.000Z",
        },
        1,
    )
    ledger.put_topup_plan(plan, stamp())
    with pytest.raises(VersionTaken):
        ledger.put_topup_plan(plan, stamp())
    ledger.put_topup_plan(replace(plan, version=2, bonus_amount=200), stamp())
    [stored] = [p for p in ledger.list_topup_plans() if p.plan_id == plan.plan_id]
    assert stored == replace(plan, version=2, bonus_amount=200)


# ---- Checkouts ----------------------------------------------------------------------------------------------


def test_one_live_checkout_per_order_and_the_key_answers_first(ledger):
    merchant, user = uid("m"), uid("u")
    checkout = new_checkout(merchant, user)
    key = record(merchant)
    ledger.create_checkout(checkout, key)
    assert ledger.snapshot(checkout=checkout.checkout_id, checkout_guard=(merchant, checkout.order_id)) == Snapshot(
        checkout=checkout, checkout_guard=checkout.checkout_id
    )
    with pytest.raises(CheckoutExists):
        ledger.create_checkout(new_checkout(merchant, user, checkout.order_id), record(merchant))
    with pytest.raises(IdempotencyKeyTaken):
        ledger.create_checkout(new_checkout(merchant, user, checkout.order_id), key)


def test_an_expired_checkout_gives_its_order_to_a_new_one(ledger):
    merchant, user = uid("m"), uid("u")
    stale = new_checkout(merchant, user, expires_in=-5)
    ledger.create_checkout(stale, record(merchant))
    assert ledger.snapshot(checkout_guard=(merchant, stale.order_id)).checkout_guard is None
    fresh = new_checkout(merchant, user, stale.order_id)
    ledger.create_checkout(fresh, record(merchant))
    assert ledger.snapshot(checkout_guard=(merchant, stale.order_id)).checkout_guard == fresh.checkout_id


def test_cancelling_closes_an_open_checkout_once_and_may_free_its_order(ledger):
    merchant, user = uid("m"), uid("u")
    checkout = new_checkout(merchant, user)
    ledger.create_checkout(checkout, record(merchant))
    at = stamp()
    ledger.cancel_checkout(checkout, at, "customer left", release_order=True)
    snap = ledger.snapshot(checkout=checkout.checkout_id, checkout_guard=(merchant, checkout.order_id))
    assert snap == Snapshot(
        checkout=replace(checkout, status="cancelled", cancelled_at=at, cancel_reason="customer left")
    )
    with pytest.raises(ReadChanged):
        ledger.cancel_checkout(checkout, stamp(), None, release_order=False)
    ledger.create_checkout(new_checkout(merchant, user, checkout.order_id), record(merchant))


def test_cancelling_refuses_to_free_an_order_another_checkout_holds(ledger):
    merchant, user = uid("m"), uid("u")
    stale = new_checkout(merchant, user, expires_in=-5)
    ledger.create_checkout(stale, record(merchant))
    fresh = new_checkout(merchant, user, stale.order_id)
    ledger.create_checkout(fresh, record(merchant))
    with pytest.raises(ReadChanged):
        ledger.cancel_checkout(stale, stamp(), None, release_order=True)
    assert ledger.snapshot(checkout=stale.checkout_id).checkout.status == "open"  # nothing written
    ledger.cancel_checkout(stale, stamp(), None, release_order=False)
    assert ledger.snapshot(checkout_guard=(merchant, stale.order_id)).checkout_guard == fresh.checkout_id


# ---- Merchants, MerchantRules, Tiers --------------------------------------------------------------------------


def test_rules_and_tiers_follow_their_versions(ledger):
    merchant = uid("m")
    ledger.put_merchant(Merchant(merchant, "Shop", "suspended"), stamp())
    assert ledger.snapshot(merchant=merchant).merchant == Merchant(merchant, "Shop", "suspended")
    first = BalanceRules(merchant_id=merchant, version=1, updated_at=stamp())
    ledger.put_rules(first, first.as_view())
    with pytest.raises(VersionTaken):
        ledger.put_rules(first, first.as_view())
    with pytest.raises(VersionTaken):
        ledger.put_rules(replace(first, version=3), first.as_view())
    second = replace(first, version=2)
    ledger.put_rules(second, second.as_view())
    assert ledger.snapshot(rules=merchant).rules == second
    current = ledger.snapshot(tiers=True).tiers
    version = current.version if current else 0
    with pytest.raises(VersionTaken):
        ledger.put_tiers(TierTable((Tier("base", 0, 100, 0),), version + 2), stamp())


# ---- CouponDefinitions, Coupons -------------------------------------------------------------------------------


def test_a_definition_follows_its_versions_and_its_budget_is_made_once(ledger):
    definition = CouponDefinition(terms(uid("cd"), counts_uses=True), per_customer_limit=2, budget_count=4, version=1)
    assert ledger.get_coupon_definition(definition.terms.definition_id) is None
    ledger.put_coupon_definition(definition, stamp(), [(2, None), (2, None)])
    with pytest.raises(VersionTaken):
        ledger.put_coupon_definition(definition, stamp(), [(2, None), (2, None)])
    with pytest.raises(VersionTaken):
        ledger.put_coupon_definition(replace(definition, version=3), stamp(), [])
    second = replace(definition, per_customer_limit=3, version=2)
    ledger.put_coupon_definition(second, stamp(), [(9, None)])  # a later version leaves the budget as it is
    assert ledger.get_coupon_definition(definition.terms.definition_id) == second
    assert ledger.snapshot(coupon_definition=definition.terms.definition_id).coupon_definition == second


def test_a_grant_stays_within_the_per_customer_limit_and_a_retry_grants_nothing(ledger):
    user = uid("u")
    t = terms(uid("cd"))
    first, second = coupon_of(t, user, uid("cpn-a")), coupon_of(t, user, uid("cpn-b"))
    assert ledger.grant_coupon(first, 2) is None
    assert ledger.grant_coupon(first, 2) is None  # the same coupon again: granted before
    assert ledger.grant_coupon(second, 2) is None
    assert ledger.grant_coupon(coupon_of(t, user), 2) == "limit_reached"
    assert ledger.list_coupons(user) == sorted([first, second], key=lambda c: c.coupon_id)
    assert ledger.grant_coupon(coupon_of(terms(uid("cd")), user), 1) is None  # another definition: its own count
    assert ledger.list_coupons(uid("nobody")) == []


# ---- Rewards ------------------------------------------------------------------------------------------------


def _reward(stock: int, limit: int) -> Reward:
    return Reward(
        reward_id=uid("rw"),
        name="mug",
        kind="gift",
        points_cost=10,
        coupon_definition_id=None,
        stock=stock,
        per_customer_limit=limit,
        active=True,
    )


def test_a_redemption_takes_the_stock_counts_the_customer_and_moves_the_points(ledger):
    user, reward = uid("u"), _reward(stock=2, limit=2)
    ledger.put_reward(reward, stamp())
    r = redemption(ledger, user, reward)
    ledger.redeem(r)
    snap = ledger.snapshot(
        wallet=user,
        reward=reward.reward_id,
        redemptions=(reward.reward_id, user),
        idempotency=(r.idempotency.scope, r.idempotency.key),
    )
    assert (snap.reward.stock, snap.redemptions, snap.idempotency) == (1, 1, r.idempotency)
    assert (snap.wallet.points, snap.wallet.lots, snap.wallet.version) == (r.points_entry.after, Lots(), 0)
    assert [e for e in ledger.list_points_entries(user, 5)[0]] == [r.points_entry]
    assert reward.reward_id in {x.reward_id for x in ledger.list_rewards()}


def test_a_redemption_is_refused_out_of_stock_past_the_limit_on_a_taken_key_and_from_stale_points(ledger):
    user, reward = uid("u"), _reward(stock=1, limit=1)
    ledger.put_reward(reward, stamp())
    first = redemption(ledger, user, reward, key="k")
    ledger.redeem(first)
    with pytest.raises(IdempotencyKeyTaken):
        ledger.redeem(redemption(ledger, user, reward, key="k"))
    with pytest.raises(OutOfStock):
        ledger.redeem(redemption(ledger, user, reward))
    limited = _reward(stock=5, limit=1)
    ledger.put_reward(limited, stamp())
    ledger.redeem(redemption(ledger, user, limited))
    with pytest.raises(PaymentRefused) as refused:
        ledger.redeem(redemption(ledger, user, limited))
    assert refused.value.code == "redemption_limit_reached"
    other = _reward(stock=5, limit=5)
    ledger.put_reward(other, stamp())
    with pytest.raises(ReadChanged):
        ledger.redeem(redemption(ledger, user, other, wallet=first.wallet))  # planned from points version 0
    assert ledger.snapshot(reward=other.reward_id).reward.stock == 5


# ---- Inbox --------------------------------------------------------------------------------------------------


def test_a_dedupe_key_makes_one_notification(ledger):
    user, now = uid("u"), datetime.now(timezone.utc)
    n = notification(user, "low_balance:e1", now)
    assert ledger.put_notification(n, "low_balance:e1") == (True, n)
    again = notification(user, "low_balance:e1", now + timedelta(seconds=5))
    assert ledger.put_notification(again, "low_balance:e1") == (False, n)
    assert ledger.get_notification(user, n.notification_id) == n
    assert ledger.get_notification(user, again.notification_id) is None


def test_the_inbox_pages_newest_first_counts_unread_and_marks_read_once(ledger):
    user, now = uid("u"), datetime.now(timezone.utc)
    ns = [notification(user, f"k{i}", now + timedelta(seconds=i)) for i in range(3)]
    for i, n in enumerate(ns):
        ledger.put_notification(n, f"k{i}")
    page, cursor = ledger.list_notifications(user, 2)
    assert (page, cursor) == ([ns[2], ns[1]], ns[1].notification_id)
    assert ledger.list_notifications(user, 2, cursor) == ([ns[0]], None)
    assert ledger.count_unread(user) == 3
    read = ledger.mark_notification_read(user, ns[1].notification_id, "2026-01-01T00:00:00.000Z")
    assert read == replace(ns[1], read_at="2026-01-01T00:00:00.000Z")
    assert ledger.mark_notification_read(user, ns[1].notification_id, "2027-01-01T00:00:00.000Z") == read
    assert ledger.mark_notification_read(user, "ntf_none", stamp()) is None
    assert ledger.count_unread(user) == 2
    assert ledger.list_notifications(user, 5, unread=True) == ([ns[2], ns[0]], None)


def test_an_email_is_claimed_by_one_sender_at_a_time_and_sent_once(ledger):
    user, now = uid("u"), datetime.now(timezone.utc)
    n = notification(user, "run_out:w1", now, email=True)
    ledger.put_notification(n, "run_out:w1")
    nid = n.notification_id
    assert ledger.claim_email(user, nid, "2026-01-01T00:01:00.000Z", "2026-01-01T00:00:00.000Z") is True
    assert ledger.claim_email(user, nid, "2026-01-01T00:01:30.000Z", "2026-01-01T00:00:30.000Z") is False  # live
    assert ledger.claim_email(user, nid, "2026-01-01T00:03:00.000Z", "2026-01-01T00:02:00.000Z") is True  # stale
    ledger.release_email(user, nid)
    assert ledger.get_notification(user, nid).email_claimed_at is None
    assert ledger.claim_email(user, nid, "2026-01-01T00:04:00.000Z", "2026-01-01T00:03:00.000Z") is True
    ledger.email_sent(user, nid, "msg-1", "2026-01-01T00:04:01.000Z")
    sent = ledger.get_notification(user, nid)
    assert (sent.email_status, sent.email_claimed_at) == (EMAIL_SENT, None)
    assert ledger.claim_email(user, nid, "2026-01-02T00:00:00.000Z", "2026-01-02T00:00:00.000Z") is False
    ledger.release_email(user, nid)  # not pending: nothing to give up
    assert ledger.get_notification(user, nid).email_status == EMAIL_SENT
    assert ledger.claim_email(user, "ntf_none", stamp(), stamp()) is False


# ---- Promotions ---------------------------------------------------------------------------------------------


def test_a_promotion_is_written_pending_once_confirmed_under_its_key_and_changed_from_its_version(ledger):
    p = promotion(uid("m"))
    assert ledger.put_pending_promotion(p) is True
    assert ledger.put_pending_promotion(replace(p, name="twin")) is False
    assert ledger.get_promotion(p.promotion_id) == replace(p, updated_at=p.created_at)
    key = record("admin")
    at = stamp()
    ledger.confirm_promotion(p, at, key)
    scheduled = replace(p, status="scheduled", version=2, updated_at=at)
    assert ledger.get_promotion(p.promotion_id) == scheduled
    assert ledger.get_idempotency(key.scope, key.key) == key
    with pytest.raises(IdempotencyKeyTaken):
        ledger.confirm_promotion(p, stamp(), key)
    with pytest.raises(VersionTaken):  # no longer pending at version 1
        ledger.confirm_promotion(p, stamp(), record("admin"))
    assert priced(scheduled) in map(
        priced, ledger.promotions_that_may_be_live(datetime.now(timezone.utc) - timedelta(days=1))
    )
    assert scheduled in ledger.list_promotions()
    cancelled = replace(scheduled, status="cancelled", version=3, updated_at=stamp(), cancelled_at=stamp())
    assert ledger.update_promotion(p, cancelled) is False  # from version 1: changed meanwhile
    assert ledger.update_promotion(scheduled, cancelled) is True
    assert ledger.get_promotion(p.promotion_id) == cancelled
    assert p.promotion_id not in {
        x.promotion_id for x in ledger.promotions_that_may_be_live(datetime.now(timezone.utc) - timedelta(days=1))
    }
    assert ledger.get_promotion(uid("prm")) is None


def test_a_configuration_read_has_the_merchant_its_rules_the_tiers_and_if_asked_the_live_promotions(ledger):
    merchant = uid("m")
    ledger.put_merchant(Merchant(merchant, "Shop"), stamp())
    rules = BalanceRules(merchant_id=merchant, version=1, updated_at=stamp())
    ledger.put_rules(rules, rules.as_view())
    p = promotion(merchant)
    ledger.put_pending_promotion(p)
    ledger.confirm_promotion(p, stamp(), record("admin"))
    since = datetime.now(timezone.utc) - timedelta(days=1)
    snap, live = ledger.read_configuration(merchant)
    assert (snap.merchant, snap.rules, snap.tiers, live) == (
        Merchant(merchant, "Shop"),
        rules,
        ledger.snapshot(tiers=True).tiers,
        None,
    )
    snap, live = ledger.read_configuration(merchant, since)
    assert snap.rules == rules
    assert [priced(x) for x in live] == [priced(x) for x in ledger.promotions_that_may_be_live(since)]
    assert p.promotion_id in {x.promotion_id for x in live}
    assert ledger.read_configuration(uid("m"))[0] == Snapshot(tiers=ledger.snapshot(tiers=True).tiers)


def priced(p: Promotion) -> tuple:
    """What pricing reads of a promotion that may be live."""
    return p.promotion_id, p.name, p.merchant_id, p.starts_at, p.ends_at, p.effect, p.status


# ---- FeedbackRecords -----------------------------------------------------------------------------------------


def _feedback(
    user: str,
    kind: str,
    subject: str,
    created_at: str,
    rating: int = 5,
    tags: tuple = ("fast",),
    merchant: str | None = None,
) -> Feedback:
    return Feedback(
        feedback_id=new_id("fb"),
        user_id=user,
        subject_kind=kind,
        subject_id=subject,
        rating=rating,
        created_at=created_at,
        tags=tags,
        comment="ok",
        merchant_id=merchant,
    )


def test_feedback_reads_its_subject_and_is_added_once_per_transaction(ledger, feedback_store):
    user, merchant = uid("u"), uid("m")
    credit(ledger, user, 1000)
    paying = payment_movement(ledger, user, merchant, 300)
    ledger.commit(paying)
    payment_id = paying.new_payment.payment_id
    key = (user, uid("fbk"))
    assert feedback_store.read_subject("payment", payment_id, user, key) == (
        None,
        Subject("payment", payment_id, user, merchant),
    )
    assert feedback_store.read_subject("payment", uid("pay"), user, key) == (None, None)
    [payment_entry, _] = ledger.list_entries(user, 5)[0]
    assert feedback_store.read_subject("entry", payment_entry.entry_id, user, key) == (
        None,
        Subject("entry", payment_entry.entry_id, user, merchant),
    )
    assert feedback_store.read_subject("entry", payment_entry.entry_id, uid("other"), key) == (None, None)

    month = f"{2100 + uuid.uuid4().int % 800}-0{1 + uuid.uuid4().int % 9}"
    fb = _feedback(user, "payment", payment_id, f"{month}-10T10:00:00.000Z", merchant=merchant)
    rec = record(*key)
    feedback_store.add_feedback(fb, rec)
    assert feedback_store.get_idempotency(*key) == rec
    assert feedback_store.read_subject("entry", payment_entry.entry_id, user, key) == (rec, None)
    with pytest.raises(FeedbackExists):
        feedback_store.add_feedback(_feedback(user, "payment", payment_id, f"{month}-11T10:00:00.000Z"), record(user))
    with pytest.raises(IdempotencyKeyTaken):
        feedback_store.add_feedback(_feedback(user, "topup", uid("top"), f"{month}-11T10:00:00.000Z"), rec)
    rows, after = feedback_store.feedback_page(
        month, "0", "~", None, rating_lte=None, tag=None, merchant_id=None, page_size=10
    )
    assert (rows, after) == ([(f"{fb.created_at}#{fb.feedback_id}", fb)], None)


def test_feedback_pages_newest_first_with_filters(ledger, feedback_store):
    month = f"{2100 + uuid.uuid4().int % 800}-1{uuid.uuid4().int % 3}"
    user, merchant = uid("u"), uid("m")
    written = []
    for day in range(1, 6):
        fb = _feedback(
            user,
            "topup",
            uid("top"),
            f"{month}-0{day}T08:00:00.000Z",
            rating=day,
            tags=("fast",) if day % 2 else ("slow", "rude"),
            merchant=merchant if day > 3 else None,
        )
        feedback_store.add_feedback(fb, record(user))
        written.append((f"{fb.created_at}#{fb.feedback_id}", fb))
    newest_first = written[::-1]
    seen, after = [], None
    for _ in range(5):
        rows, after = feedback_store.feedback_page(
            month, "0", "~", after, rating_lte=None, tag=None, merchant_id=None, page_size=2
        )
        seen += rows
        if after is None:
            break
    assert seen == newest_first
    rows, after = feedback_store.feedback_page(
        month, "0", "~", None, rating_lte=3, tag="fast", merchant_id=None, page_size=10
    )
    assert (rows, after) == ([newest_first[2], newest_first[4]], None)  # days 3 and 1
    rows, _ = feedback_store.feedback_page(
        month, "0", "~", None, rating_lte=None, tag=None, merchant_id=merchant, page_size=10
    )
    assert rows == newest_first[:2]
    low, high = f"{month}-02", f"{month}-04"  # sort keys within [low, high]: days 2 and 3
    rows, _ = feedback_store.feedback_page(
        month, low, high, None, rating_lte=None, tag=None, merchant_id=None, page_size=10
    )
    assert rows == [newest_first[2], newest_first[3]]
