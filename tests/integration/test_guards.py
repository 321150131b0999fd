"""Which guard of a transaction failed, named by label (on moto): every transaction that more than one guard
can refuse, with each of its guards made to fail in turn.

Each case plans a write through the real service, lets the table change between the plan and the commit so
that exactly one guard no longer holds, and checks that the store names that guard. The first case is the
one a newcomer met: a coupon reward out of stock answered "limit per customer reached", because PynamoDB
sends puts before updates and the reasons were read in the order the code added the actions.
"""

from __future__ import annotations

import uuid
from typing import Any, Callable

import pytest

from chalicelib.domain.errors import (
    BudgetShardExhausted,
    CheckoutExists,
    FeedbackExists,
    IdempotencyKeyTaken,
    OrderAlreadyPaid,
    OutOfStock,
    PaymentRefused,
    VersionTaken,
    ReadChanged,
)
from chalicelib.domain.coupons import Reward
from chalicelib.domain.model import Merchant, Principal
from chalicelib.services import checkouts, coupons, rewards
from chalicelib.services.common import IdempotentRequest, LedgerPolicy
from chalicelib.store.guards import Cancelled, Guarded
from tests.integration.test_store import funded_user, open_checkout, pay

ADMIN = Principal("ops", frozenset({"admin"}))


@pytest.fixture(autouse=True)
def merchant(store):
    store.put_merchant(Merchant("m1", "Shop"), "t")


def define_coupon(store, **terms: Any) -> str:
    """A coupon definition, through the service, from a request body as the route validates it."""
    from chalicelib.api.schemas.coupons import CouponDefinitionRequest

    definition_id = f"cd-{uuid.uuid4().hex[:8]}"
    body = {
        "name": "tea",
        "kind": "amount_off",
        "value": 100,
        "min_spend": 0,
        "valid_from": "2026-01-01T00:00:00Z",
        "valid_to": "2099-01-01T00:00:00Z",
        "per_customer_limit": 100,
        **terms,
    }
    coupons.put_definition(store, ADMIN, definition_id, CouponDefinitionRequest.model_validate(body).model_dump())
    return definition_id


class Interrupted(Exception):
    """Raised instead of the write: the plan is caught before it commits."""


def caught(store: Any, method: str, run: Callable[[], Any]) -> tuple[Callable[..., Any], tuple]:
    """Run ``run`` until it calls ``store.<method>``; return the real method and the arguments it was given."""
    real = getattr(store, method)
    seen: list[tuple] = []

    def stop(*args: Any, **kwargs: Any) -> Any:
        seen.append(args)
        raise Interrupted()

    setattr(store, method, stop)
    try:
        with pytest.raises(Interrupted):
            run()
    finally:
        setattr(store, method, real)
    return real, seen[0]


def refusal(write: Callable[..., Any], args: tuple) -> Exception:
    with pytest.raises(Exception) as info:
        write(*args)
    return info.value


@pytest.fixture
def matured(monkeypatch):
    """The use cases' clock past the points' return window: what payments earned is available."""
    from datetime import datetime, timedelta, timezone

    from chalicelib.services import clock

    def later() -> None:
        moment = datetime.now(timezone.utc) + timedelta(days=8)
        monkeypatch.setattr(clock, "now", lambda: moment)

    return later


# ---- redemption: idempotency, points account, reward stock, per-customer count, coupon -----------------


@pytest.fixture
def coupon_reward(store):
    definition_id = define_coupon(store)
    reward = Reward(
        f"rw-{uuid.uuid4().hex[:8]}",
        "tea coupon",
        "coupon",
        2,
        definition_id,
        stock=5,
        per_customer_limit=2,
        active=True,
    )
    store.put_reward(reward, "t")
    return reward


def customer_with_points(store, matured) -> str:
    """A customer whose two payments earned 6 points (3 each), matured: bought through the ledger's own path."""
    user = funded_user(store)
    pay(store, user, key="earn-1")
    pay(store, user, key="earn-2")
    matured()
    return user


def plan_redemption(store, matured, reward: Reward, key: str = "r-1"):
    user = customer_with_points(store, matured)
    return user, caught(
        store,
        "redeem",
        lambda: rewards.redeem(
            store, LedgerPolicy(), Principal(user), IdempotentRequest(user, key, "h"), reward.reward_id
        ),
    )


def test_a_coupon_reward_out_of_stock_is_out_of_stock_not_a_limit(store, coupon_reward, matured):
    _, (write, args) = plan_redemption(store, matured, coupon_reward)
    store.put_reward(Reward(**{**coupon_reward.__dict__, "stock": 0}), "t")
    assert isinstance(refusal(write, args), OutOfStock)


def test_a_redemption_past_the_customers_limit_names_the_limit(store, coupon_reward, matured):
    from chalicelib.store.models import RedemptionsItem, redemptions_key

    user, (write, args) = plan_redemption(store, matured, coupon_reward)
    RedemptionsItem(*redemptions_key(coupon_reward.reward_id, user), kind="redemptions", redeemed=2).save()
    exc = refusal(write, args)
    assert isinstance(exc, PaymentRefused) and exc.code == "redemption_limit_reached"


def test_a_redemption_whose_points_moved_is_retried_not_refused(store, coupon_reward, matured):
    user, (write, args) = plan_redemption(store, matured, coupon_reward)
    # another redemption moves the points account meanwhile (1 of the customer's 2 allowed, stock left)
    rewards.redeem(
        store, LedgerPolicy(), Principal(user), IdempotentRequest(user, "r-other", "h"), coupon_reward.reward_id
    )
    assert type(refusal(write, args)) is ReadChanged


def test_a_redemption_whose_key_was_used_meanwhile_names_the_key(store, coupon_reward, matured):
    user, (write, args) = plan_redemption(store, matured, coupon_reward)
    redemption = args[0]
    store.put_idempotency(redemption.idempotency)  # the same key committed first
    assert isinstance(refusal(write, args), IdempotencyKeyTaken)


def test_a_redemption_whose_coupon_exists_is_not_read_as_another_guard(store, coupon_reward, matured):
    _, (write, args) = plan_redemption(store, matured, coupon_reward)
    c = args[0].coupon
    from chalicelib.store.models import CouponItem, coupon_key

    CouponItem(
        *coupon_key(c.user_id, c.coupon_id),
        kind="coupon",
        coupon_id=c.coupon_id,
        user_id=c.user_id,
        terms=c.terms.as_dict(),
        state="available",
        granted_at=c.granted_at,
    ).save()
    assert type(refusal(write, args)) is ReadChanged  # neither out of stock nor the limit


def test_the_service_answers_out_of_stock_for_a_coupon_reward_that_ran_out(store, coupon_reward, matured):
    """The whole use case, as the newcomer called it: stock 0, 25 points, never redeemed -> out of stock."""
    store.put_reward(Reward(**{**coupon_reward.__dict__, "stock": 0}), "t")
    user = customer_with_points(store, matured)
    with pytest.raises(OutOfStock):
        rewards.redeem(
            store, LedgerPolicy(), Principal(user), IdempotentRequest(user, "r", "h"), coupon_reward.reward_id
        )


# ---- a payment's movement: idempotency, order, checkout, coupon budget, wallet -----------------------------


def plan_payment(store, **kw):
    user = funded_user(store)
    checkout_id = open_checkout(store, user)
    return user, checkout_id, caught(store, "commit", lambda: pay(store, user, checkout_id=checkout_id, **kw))


def test_a_payment_whose_key_was_used_meanwhile_names_the_key(store):
    _, _, (write, args) = plan_payment(store)
    store.put_idempotency(args[0].idempotency)
    assert isinstance(refusal(write, args), IdempotencyKeyTaken)


def test_a_payment_of_an_order_paid_meanwhile_names_the_order(store):
    from chalicelib.store.models import OrderItem, order_key

    _, _, (write, args) = plan_payment(store)
    p = args[0].new_payment
    OrderItem(*order_key(p.merchant_id, p.order_id), kind="order", payment_id="pay_other").save()
    assert isinstance(refusal(write, args), OrderAlreadyPaid)


def test_a_payment_whose_wallet_moved_hands_back_the_wallet_as_it_is(store):
    user, _, (write, args) = plan_payment(store)
    pay(store, user, key="other")  # another payment of the same customer commits first
    exc = refusal(write, args)
    assert type(exc) is ReadChanged and exc.current is not None
    assert exc.current.version == args[0].wallet.version + 1


def test_a_payment_with_a_budgeted_coupon_whose_shard_ran_out_names_the_budget(store):
    from chalicelib.store.models import CouponBudgetItem, coupon_budget_key

    definition_id = define_coupon(store, budget_count=10, per_customer_limit=1)
    user = funded_user(store)
    coupons.grant(store, ADMIN, IdempotentRequest("ops", f"g-{uuid.uuid4().hex}", "h"), definition_id, [user])
    coupon_id = store.list_coupons(user)[0].coupon_id
    checkout_id = open_checkout(store, user)
    from chalicelib.domain.pricing import PayOptions
    from chalicelib.services import payments
    from tests.integration.test_store import CACHE

    write, args = caught(
        store,
        "commit",
        lambda: payments.pay(
            store,
            LedgerPolicy(max_attempts=5, max_amount=10**7),
            CACHE,
            Principal(user),
            IdempotentRequest(user, "c", "h"),
            checkout_id,
            PayOptions(coupon_id=coupon_id),
        ),
    )
    shard = args[0].coupon.shard
    CouponBudgetItem(*coupon_budget_key(definition_id, shard)).update(actions=[CouponBudgetItem.count_left.set(0)])
    exc = refusal(write, args)
    assert isinstance(exc, BudgetShardExhausted)


# ---- opening a checkout: idempotency, the order's live checkout -------------------------------------------


def plan_checkout(store, order_id: str, key: str):
    user = funded_user(store)
    return user, caught(
        store,
        "create_checkout",
        lambda: checkouts.create_checkout(
            store,
            LedgerPolicy(),
            Principal("shop", frozenset({"service"})),
            IdempotentRequest("shop", key, "h"),
            merchant_id="m1",
            order_id=order_id,
            user_id=user,
            lines=[checkouts.Line("s1", "books", 300, 1)],
            expires_in_seconds=None,
        ),
    )


def test_a_checkout_whose_order_got_one_meanwhile_names_the_order(store):
    order_id = f"o-{uuid.uuid4().hex[:8]}"
    user, (write, args) = plan_checkout(store, order_id, f"k-{uuid.uuid4().hex}")
    open_checkout(store, user, order_id=order_id)
    assert isinstance(refusal(write, args), CheckoutExists)


def test_a_checkout_whose_key_was_used_meanwhile_names_the_key(store):
    _, (write, args) = plan_checkout(store, f"o-{uuid.uuid4().hex[:8]}", f"k-{uuid.uuid4().hex}")
    store.put_idempotency(args[1])
    assert isinstance(refusal(write, args), IdempotencyKeyTaken)


# ---- granting a coupon: the coupon itself, the customer's count ------------------------------------------


def test_a_grant_names_the_coupon_granted_before_and_the_limit_apart(store):
    definition_id = define_coupon(store, per_customer_limit=1)
    user = funded_user(store)
    write, args = caught(
        store,
        "grant_coupon",
        lambda: coupons.grant(
            store, ADMIN, IdempotentRequest("ops", f"g-{uuid.uuid4().hex}", "h"), definition_id, [user]
        ),
    )
    assert write(*args) is None  # granted
    assert write(*args) is None  # the very same coupon again: an earlier attempt of this grant, not the limit
    other = (type(args[0])(**{**args[0].__dict__, "coupon_id": f"cpn_{uuid.uuid4().hex}"}), *args[1:])
    assert write(*other) == "limit_reached"  # another coupon of the definition: the customer's count


# ---- the sent order, checked against the request PynamoDB really sends ------------------------------------


def test_the_labels_line_up_with_the_items_pynamodb_sends(store):
    """A transaction of every kind, added in the order opposite to PynamoDB's: the request's items carry the
    keys of the labels in ``sent_labels``' order, and a failed guard of each kind is named by its label."""
    from chalicelib.store.models import LedgerItem, MerchantItem, merchant_key

    ids = {kind: f"m-guard-{kind}-{uuid.uuid4().hex[:6]}" for kind in ("update", "put", "delete", "check")}
    for kind in ("delete", "check"):
        store.put_merchant(Merchant(ids[kind], kind), "t")
    sent: list[list[dict]] = []

    def record(model, params, **kwargs):
        if model.name == "TransactWriteItems":
            sent.append(params["TransactItems"])

    events = LedgerItem._get_connection().connection.client.meta.events
    events.register("before-parameter-build.dynamodb", record)

    def transaction(fail: str | None) -> None:
        holds = {kind: kind != fail for kind in ids}
        with Guarded(store._connection) as tx:
            tx.change(
                "update",
                MerchantItem(*merchant_key(ids["update"])),
                [MerchantItem.name.set("u")],
                MerchantItem.pk.does_not_exist() if holds["update"] else MerchantItem.pk.exists(),
            )
            tx.put(
                "put",
                MerchantItem(
                    *merchant_key(ids["put"]),
                    kind="merchant",
                    merchant_id=ids["put"],
                    name="p",
                    status="active",
                    updated_at="t",
                ),
                MerchantItem.pk.does_not_exist() if holds["put"] else MerchantItem.pk.exists(),
            )
            tx.remove(
                "delete",
                MerchantItem(*merchant_key(ids["delete"])),
                MerchantItem.pk.exists() if holds["delete"] else MerchantItem.pk.does_not_exist(),
            )
            tx.check(
                "check",
                MerchantItem,
                *merchant_key(ids["check"]),
                MerchantItem.pk.exists() if holds["check"] else MerchantItem.pk.does_not_exist(),
            )
            order = tx.sent_labels
        keys = [next(iter(item.values()))["Key" if "Put" not in item else "Item"]["pk"]["S"] for item in sent[-1]]
        assert keys == [merchant_key(ids[label])[0] for label in order]

    try:
        for kind in ids:
            with pytest.raises(Cancelled) as info:
                transaction(fail=kind)
            assert info.value.failed == {kind} and info.value.condition_failed(kind)
    finally:
        events.unregister("before-parameter-build.dynamodb", record)


def test_one_label_names_one_action(store):
    from chalicelib.store.models import MerchantItem, merchant_key

    tx = Guarded(store._connection)
    tx.change("same", MerchantItem(*merchant_key("a")), [MerchantItem.name.set("x")])
    with pytest.raises(ValueError):
        tx.change("same", MerchantItem(*merchant_key("b")), [MerchantItem.name.set("y")])


def test_a_promotion_confirmed_under_a_used_key_names_the_key_and_a_moved_one_the_promotion(store):
    from chalicelib.domain.model import IdempotencyRecord

    promotion = _pending_promotion(store)
    record = IdempotencyRecord("ops", f"p-{uuid.uuid4().hex}", "h", 201, {}, "t")
    store.put_idempotency(record)
    with pytest.raises(IdempotencyKeyTaken):
        store.confirm_promotion(promotion, "t", record)
    moved = type(promotion)(**{**promotion.__dict__, "version": promotion.version + 5})
    with pytest.raises(VersionTaken):
        store.confirm_promotion(moved, "t", IdempotencyRecord("ops", f"p-{uuid.uuid4().hex}", "h", 201, {}, "t"))


def _pending_promotion(store):
    from datetime import datetime, timedelta, timezone

    from chalicelib.domain.promotions import Effect, Promotion

    now = datetime.now(timezone.utc)
    p = Promotion(
        promotion_id=f"prm_{uuid.uuid4().hex}",
        name="p",
        merchant_id="m1",
        starts_at=(now + timedelta(hours=1)).isoformat(),
        ends_at=(now + timedelta(days=1)).isoformat(),
        effect=Effect.from_doc({"kind": "points_multiplier", "factor": "2"}),
        status="pending",
        version=1,
        created_at="t",
        created_by="ops",
        request_hash="h",
    )
    assert store.put_pending_promotion(p)
    return p


def test_feedback_names_the_used_key_and_the_rated_subject_apart(store):
    from chalicelib.domain.feedback import Feedback
    from chalicelib.domain.model import IdempotencyRecord
    from chalicelib.store.feedback import DynamoFeedbackStore

    fs = DynamoFeedbackStore(store)

    def feedback(subject: str) -> Feedback:
        return Feedback(
            feedback_id=f"fb_{uuid.uuid4().hex}",
            user_id="u",
            subject_kind="topup",
            subject_id=subject,
            rating=4,
            created_at="2026-12-01T00:00:00.000Z",
        )

    def key() -> IdempotencyRecord:
        return IdempotencyRecord("u", f"f-{uuid.uuid4().hex}", "h", 201, {}, "t")

    subject = f"top_{uuid.uuid4().hex}"
    used = key()
    fs.add_feedback(feedback(subject), used)
    with pytest.raises(FeedbackExists):
        fs.add_feedback(feedback(subject), key())
    with pytest.raises(IdempotencyKeyTaken):
        fs.add_feedback(feedback(f"top_{uuid.uuid4().hex}"), used)
