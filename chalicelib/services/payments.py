"""Paying an order with balance, reading a payment, refunding it (what ends an authorization: authorizations.py)."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any, Callable, cast

from ..domain.errors import ensure, present
from ..domain import access
from ..domain.bonus import Drawn, draw, give_back
from ..domain.moments import format_time, parse_time
from ..domain.errors import (
    AmountExceedsLimit,
    BudgetShardExhausted,
    CheckoutExpired,
    Forbidden,
    NotFound,
    OrderAlreadyPaid,
    PaymentRefused,
    PaymentStateConflict,
)
from ..domain.ledger import apply_delta, split_refund
from ..domain.model import (
    CouponChange,
    Entry,
    Movement,
    Payment,
    Principal,
    Refund,
    Snapshot,
    Wallet,
    new_id,
)
from ..domain.money import Lots
from ..domain.points import PointsAccount, PointsEntry, claw_back, earn
from ..domain.tiers import TierTable, add_spend, effective, month_of, rolling_spend
from ..domain.pricing import PayOptions
from ..observability import capture_method, metrics
from .checkouts import customers_checkout, customers_coupon, price_for
from . import clock
from .common import IdempotentRequest, LedgerPolicy, Outcome, run_movement, wallet_or_empty
from .merchant_rules import ConfigCache
from .ports import MoneyStore, Payments, PayStore, Snapshots


@capture_method
def pay(
    store: PayStore,
    policy: LedgerPolicy,
    cache: ConfigCache,
    principal: Principal,
    request: IdempotentRequest,
    checkout_id: str,
    options: PayOptions,
    after_commit: Callable[[], None] | None = None,
    expected_balance: int | None = None,
) -> Outcome:
    """Pay a checkout from its customer's wallet, exactly as its quote says: one read, one transaction.
    With ``expected_balance`` (what the customer saw and agreed to), a price that is another now is refused
    409 ``price_changed`` and nothing moves.

    Invariants: no lot goes negative; a checkout (and a merchant's order) is paid at most once
    (the checkout's status and the order guard are conditions of the transaction); the day's
    spend at the merchant moves with the wallet it is kept on; the key replays the first answer.
    """
    user_id = principal.user_id
    exhausted: set[int] = set()  # budget shards of the coupon found spent by this request's attempts

    def read() -> Snapshot:
        snap = store.snapshot(
            wallet=user_id,
            checkout=checkout_id,
            idempotency=(request.scope, request.key),
            **cast("dict[str, Any]", {"coupon": (user_id, options.coupon_id)} if options.coupon_id else {}),
        )
        if snap.idempotency is None:
            customers_checkout(snap, principal, checkout_id)
        return snap

    def shard_spent(changed: Exception) -> None:
        if isinstance(changed, BudgetShardExhausted) and changed.shard is not None:
            exhausted.add(changed.shard)

    def plan(snap: Snapshot) -> tuple[Movement, Outcome]:
        checkout = customers_checkout(snap, principal, checkout_id)
        if checkout.status == "cancelled":
            raise PaymentStateConflict(
                "checkout_cancelled", "the merchant cancelled the checkout", checkout_id=checkout_id
            )
        if checkout.status == "expired":  # the sweeper's: past its time unpaid
            raise CheckoutExpired(checkout_id, checkout.expires_at)
        if checkout.status != "open":
            raise OrderAlreadyPaid(checkout.merchant_id, checkout.order_id)
        now = clock.now()
        if checkout.expired(now):
            raise CheckoutExpired(checkout_id, checkout.expires_at)
        config = cache.get(store, checkout.merchant_id)
        if config.merchant is None or not config.merchant.active:
            raise NotFound("merchant", checkout.merchant_id)
        wallet = wallet_or_empty(snap.wallet, user_id, policy.currency)
        customers_coupon(snap, options)
        q = price_for(snap, config, policy, options, now)
        if q.refusal is not None:
            if q.refusal.code == "insufficient_balance":
                metrics.add_metric(name="InsufficientBalance", unit="Count", value=1)
            raise PaymentRefused(q.refusal.code, q.refusal.message, **q.details)
        if q.balance > policy.max_amount:
            raise AmountExceedsLimit(q.balance, policy.max_amount)
        if expected_balance is not None and q.balance != expected_balance:
            raise PaymentStateConflict(
                "price_changed",
                "the price changed since the quote: quote again and confirm the new amount",
                checkout_id=checkout_id,
                expected_balance=expected_balance,
                balance=q.balance,
            )
        created = format_time(now)
        held = q.status == "authorized"
        expires = format_time(now + timedelta(seconds=policy.hold_ttl_seconds)) if held else None
        earned = 0 if held else q.points_to_earn  # an authorization earns when it is captured
        payment = Payment(
            payment_id=new_id("pay"),
            user_id=user_id,
            merchant_id=checkout.merchant_id,
            order_id=checkout.order_id,
            amount=q.amount,
            funded_by=q.funded_by,
            items=[line.as_dict() for line in checkout.lines],
            created_at=created,
            checkout_id=checkout_id,
            discount=q.discount,
            external=q.external,
            rules_version=q.rules_version,
            status=q.status,
            expires_at=expires,
            local_day=q.local_day,
            points_spent=q.points,
            points_earned=earned,
            coupon_id=options.coupon_id if q.coupon_discount else None,
            coupon_discount=q.coupon_discount,
            promotion_discount=q.promotion_discount,
            promotions=tuple(q.promotions),
            points_factor_percent=q.points_factor_percent,
        )
        grants = None
        if q.funded_by.bonus:  # the soonest-expiring bonus first; expired bonus was never offered to pricing
            grants, drawn = draw(wallet.grants, q.funded_by.bonus, created)
            payment = replace(payment, bonus_from=drawn)
        coupon_change = None
        if q.coupon_discount:
            coupon = snap.coupon
            shard = None
            if coupon.terms.budgeted:
                left = [i for i in range(coupon.terms.budget_shards) if i not in exhausted]
                if not left:
                    raise PaymentRefused(
                        "coupon_budget_exhausted", "the coupon's budget is spent", coupon_id=coupon.coupon_id
                    )
                shard = random.choice(left)  # nosec B311 - spreads budget shards, not security
            coupon_change = CouponChange(
                coupon=coupon,
                state="held" if held else "used",
                payment_id=payment.payment_id,
                shard=shard,
                budget=-1 if shard is not None else 0,
                discount=q.coupon_discount,
            )
        points_entry = _points_on_pay(wallet, payment.payment_id, q.points, held, earned, now, policy)
        after = apply_delta(wallet.lots, -q.funded_by)
        entry = Entry(
            user_id=user_id,
            seq=wallet.version + 1,
            entry_id=new_id("ent"),
            type="authorization" if held else "payment",
            delta=-q.funded_by,
            balance_after=after,
            created_at=created,
            held_delta=q.funded_by if held else Lots(),
            held_after=wallet.held + q.funded_by if held else wallet.held,
            refs={
                "payment_id": payment.payment_id,
                "order_id": checkout.order_id,
                "merchant_id": checkout.merchant_id,
                "checkout_id": checkout_id,
            },
        )
        body = {
            "payment_id": payment.payment_id,
            "checkout_id": checkout_id,
            "order_id": checkout.order_id,
            "merchant_id": checkout.merchant_id,
            "amount": q.amount,
            "discounts": q.discounts,
            "discount_total": q.discount_total,
            "coupon_id": payment.coupon_id,
            "promotions": q.promotions,
            "funded_by": q.funded_by.as_dict(),
            "external": q.external,
            "points_spent": q.points,
            "points_value": q.points_value,
            "points_earned": payment.points_earned,
            "status": q.status,
            "expires_at": expires,
            "rules_version": q.rules_version,
            "balance": after.as_balance(),
            "created_at": created,
        }
        movement = Movement(
            wallet=wallet,
            entry=entry,
            new_payment=payment,
            checkout=checkout,
            daily_spend=day_totals(wallet, checkout.merchant_id, q.local_day, q.spent_today + q.balance, now),
            points_entry=points_entry,
            coupon=coupon_change,
            membership=None if held else membership_change(wallet, config.tiers, q.balance, now),
            bonus_grants=grants,
            spend_days=None if held else spend_days(wallet, now, q.balance),
        )
        if movement.membership and movement.membership[1] != q.tier:
            body["tier_after"] = movement.membership[1]
        return movement, Outcome(201, body)

    outcome = run_movement(store, policy.max_attempts, request, read, plan, after_commit, on_conflict=shard_spent)
    if not outcome.replayed:
        metrics.add_metric(name="Payments", unit="Count", value=1)
        metrics.add_metric(
            name="PaymentAmount",
            unit="Count",
            value=outcome.body["funded_by"]["cash"] + outcome.body["funded_by"]["bonus"],
        )
    return outcome


def points_line(
    wallet: Wallet, kind: str, after: PointsAccount, now: datetime, payment: str, **amounts: int
) -> PointsEntry | None:
    """The points entry of a movement, or None when the movement leaves the points account as it was."""
    if not any(amounts.values()):
        return None
    return PointsEntry(
        user_id=wallet.user_id,
        seq=wallet.points.version + 1,
        entry_id=new_id("pte"),
        type=kind,
        after=replace(after, version=wallet.points.version + 1),
        created_at=format_time(now),
        refs={"payment_id": payment},
        **amounts,
    )


def _points_on_pay(
    wallet: Wallet, payment_id: str, spent: int, held: bool, earned: int, now: datetime, policy: LedgerPolicy
) -> PointsEntry | None:
    """Points of a payment: spent (or, for an authorization, put on hold) and earned, in one entry.
    Invariant: never spends more than is available once matured (pricing refused that already)."""
    account = wallet.points.matured(now)
    ensure(spent <= account.available, "a payment spends no more points than are available")
    account = replace(account, available=account.available - spent, held=account.held + (spent if held else 0))
    account = earn(account, earned, payment_id, now, policy.points)
    kind = "authorization" if held else "payment"
    return points_line(
        wallet, kind, account, now, payment_id, spent=0 if held else spent, earned=earned, held=spent if held else 0
    )


def membership_change(
    wallet: Wallet, tiers: TierTable, spent: int, now: datetime
) -> tuple[dict[str, int], str | None, str | None]:
    """The wallet's spend months with ``spent`` added, and its tier: up at once to what the rolling spend reaches
    (the upgrade is in this transaction, dated today), never down here (that waits out the grace)."""
    months = add_spend(wallet.spend_months, month_of(now), spent, now)
    held, _ = effective(tiers, wallet.tier, wallet.spend_months, now, wallet.tier_since)
    reached = tiers.for_spend(rolling_spend(months, now.date()))
    best = max((t for t in (held, reached) if t is not None), key=lambda t: t.threshold, default=None)
    if best is None:
        return months, None, None
    if held is not None and best.name == held.name and best.name == wallet.tier:
        return months, best.name, wallet.tier_since
    return months, best.name, now.date().isoformat()


def _points_pro_rata(payment: Payment, amount: int) -> tuple[int, int]:
    """Points a refund of ``amount`` gives back (of those spent) and takes back (of those earned): the same
    share as the balance refunded, computed on the running total (rounded down) so that refunding the
    whole payment in any number of parts gives back exactly what was spent and takes back what was earned."""
    funded = payment.funded_by.total
    after = payment.refunded.total + amount
    if after >= funded:
        return payment.points_spent - payment.points_returned, payment.points_earned - payment.points_clawed
    return (
        payment.points_spent * after // funded - payment.points_returned,
        payment.points_earned * after // funded - payment.points_clawed,
    )


def day_totals(wallet: Wallet, merchant_id: str, day: str, spent: int, now: datetime) -> dict[str, tuple[str, int]]:
    """The wallet's per-merchant day totals with this merchant's updated; days that can no longer be
    anybody's today (two days before now in UTC) are dropped, so the map stays small."""
    oldest = (now - timedelta(days=2)).date().isoformat()
    totals = {m: v for m, v in wallet.daily_spend.items() if v[0] >= oldest}
    totals[merchant_id] = (day, spent)
    return totals


SPEND_DAYS = 30  # the window of balance spending kept per day (forecast, suggested top-up, audiences)


def spend_days(wallet: Wallet, now: datetime, spent: int, day: str | None = None) -> dict[str, int]:
    """The wallet's balance spent per UTC day with ``spent`` added to ``day`` (today by default; a refund
    passes its payment's day and a negative amount); days older than the window are dropped."""
    oldest = (now - timedelta(days=SPEND_DAYS)).date().isoformat()
    day = day or now.date().isoformat()
    days = {d: v for d, v in wallet.spend_days.items() if d > oldest}
    if day > oldest:
        days[day] = max(0, days.get(day, 0) + spent)
        if not days[day]:
            del days[day]
    return days


def return_bonus(wallet: Wallet, payment: Payment, amount: int) -> tuple[Any, tuple[Drawn, ...]]:
    """Give ``amount`` of bonus back to the grants the payment drew on (a payment from before bonus grants
    drew on bonus that never expires)."""
    drawn = payment.bonus_from
    short = amount - sum(d.amount for d in drawn)
    if short > 0:
        drawn = (*drawn, Drawn("untracked", short, None))
    return give_back(wallet.grants, drawn, amount)


def with_owner(store: Snapshots, payment: Payment) -> Snapshot:
    """The payment again with its customer's wallet and, if it used one, its coupon: one consistent read, so the
    plan never pairs a fresh wallet with a payment that was settled meanwhile (the first read found whose
    wallet it is)."""
    snap = store.snapshot(
        payment=payment.payment_id,
        wallet=payment.user_id,
        tiers=True,
        **cast("dict[str, Any]", {"coupon": (payment.user_id, payment.coupon_id)} if payment.coupon_id else {}),
    )
    return Snapshot(payment=snap.payment, wallet=snap.wallet, coupon=snap.coupon, tiers=snap.tiers or TierTable())


def visible_payment(snap: Snapshot, principal: Principal, payment_id: str) -> Payment:
    """The payment if the caller may see it; 'not found' otherwise (its existence is private)."""
    p = snap.payment
    if p is None or not access.sees_sale(principal, p.user_id, p.merchant_id):
        raise NotFound("payment", payment_id)
    return p


def _status(payment: Payment) -> str:
    if payment.status != "succeeded":
        return payment.status
    if payment.refunded.total == 0:
        return "succeeded"
    return "refunded" if payment.refundable == 0 else "partially_refunded"


def payment_view(payment: Payment, refunds: list[Refund]) -> dict[str, Any]:
    return {
        "payment_id": payment.payment_id,
        "order_id": payment.order_id,
        "merchant_id": payment.merchant_id,
        "user_id": payment.user_id,
        "amount": payment.amount,
        "funded_by": payment.funded_by.as_dict(),
        "checkout_id": payment.checkout_id,
        "discount_total": payment.discount + payment.coupon_discount + payment.promotion_discount,
        "coupon_id": payment.coupon_id,
        "promotions": list(payment.promotions),
        "external": payment.external,
        "rules_version": payment.rules_version,
        "points_spent": payment.points_spent,
        "points_earned": payment.points_earned,
        "items": payment.items,
        "status": _status(payment),
        "expires_at": payment.expires_at,
        "refunded": payment.refunded.total,
        "refundable": payment.refundable,
        "refunds": [r.as_view() for r in sorted(refunds, key=lambda r: r.created_at)],
        "created_at": payment.created_at,
    }


@capture_method
def get_payment(store: Payments, principal: Principal, payment_id: str) -> dict[str, Any]:
    payment, refunds = store.get_payment_with_refunds(payment_id)
    return payment_view(visible_payment(Snapshot(payment=payment), principal, payment_id), refunds)


@capture_method
def refund(
    store: MoneyStore,
    *,
    currency: str,
    max_attempts: int,
    principal: Principal,
    request: IdempotentRequest,
    payment_id: str,
    amount: int,
    reason: str,
    after_commit: Callable[[], None] | None = None,
) -> Outcome:
    """Return part or all of a payment to the lots it came from.

    Invariants: the refunds of a payment never add up to more than it (the
    payment's refund total is a condition of the transaction); cash goes back
    to cash and bonus to bonus, in proportion to how the payment was funded.
    """

    def read() -> Snapshot:
        snap = store.snapshot(payment=payment_id, idempotency=(request.scope, request.key))
        if snap.idempotency is not None:
            return snap
        payment = visible_payment(snap, principal, payment_id)
        if not access.settles_for(principal, payment.merchant_id):
            raise Forbidden("only the payment's merchant, an admin or a service may refund it")
        return with_owner(store, payment)

    def plan(snap: Snapshot) -> tuple[Movement, Outcome]:
        payment = present(snap.payment, "the payment read")
        if payment.status != "succeeded":
            raise PaymentStateConflict(
                "payment_not_captured",
                f"payment {payment_id!r} is {payment.status}: only a captured payment is refunded",
                status=payment.status,
            )
        wallet = wallet_or_empty(snap.wallet, payment.user_id, currency)
        returned = split_refund(payment.funded_by, payment.refunded, amount)
        now = clock.stamp()
        points_back, points_take = _points_pro_rata(payment, amount)
        account, shortfall = claw_back(wallet.points.matured(clock.now()), points_take, payment_id)
        account = replace(account, available=account.available + points_back)
        r = Refund(
            refund_id=new_id("ref"),
            payment_id=payment_id,
            amount=amount,
            returned_to=returned,
            reason=reason,
            created_at=now,
            points_returned=points_back,
            points_clawed=points_take,
        )
        points_entry = points_line(
            wallet,
            "refund",
            account,
            clock.now(),
            payment_id,
            returned=points_back,
            clawed=points_take,
            shortfall=shortfall,
        )
        entry = Entry(
            user_id=payment.user_id,
            seq=wallet.version + 1,
            entry_id=new_id("ent"),
            type="refund",
            delta=returned,
            balance_after=apply_delta(wallet.lots, returned),
            held_after=wallet.held,
            created_at=now,
            refs={
                "payment_id": payment_id,
                "refund_id": r.refund_id,
                "order_id": payment.order_id,
                "merchant_id": payment.merchant_id,
                "reason": reason,
            },
        )
        body = {
            **r.as_view(),
            "refundable": payment.refundable - amount,
            "points_shortfall": shortfall,
            "coupon_restored": False,
        }
        coupon, coupon_change = snap.coupon, None
        if (
            payment.refundable == amount
            and coupon is not None
            and coupon.state == "used"
            and coupon.payment_id == payment_id
            and coupon.state_at(clock.now()) == "used"
            and clock.now() < parse_time(coupon.terms.valid_to)
        ):
            # refunded in full while the coupon is still valid: it is the customer's again, its budget use back
            coupon_change = CouponChange(
                coupon, "available", None, coupon.budget_shard, budget=+1, discount=payment.coupon_discount
            )
            body["coupon_restored"] = True
        months = add_spend(wallet.spend_months, payment.created_at[:7], -amount, clock.now())
        grants, still_drawn = return_bonus(wallet, payment, returned.bonus) if returned.bonus else (None, None)
        return Movement(
            wallet=wallet,
            entry=entry,
            refund=r,
            payment=payment,
            points_entry=points_entry,
            coupon=coupon_change,
            membership=(months, wallet.tier, wallet.tier_since),
            bonus_grants=grants,
            payment_bonus_from=still_drawn,
            spend_days=spend_days(wallet, clock.now(), -amount, payment.created_at[:10]),
        ), Outcome(201, body)

    return run_movement(store, max_attempts, request, read, plan, after_commit)
