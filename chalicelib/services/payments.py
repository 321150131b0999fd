"""Paying an order with balance and reading a payment (refunding it: refunds.py; what ends an authorization:
authorizations.py; what they share: payment_parts.py)."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any, Callable, cast

from ..domain.errors import ensure
from ..domain.bonus import draw
from ..domain.moments import format_time
from ..domain.errors import (
    AmountExceedsLimit,
    BudgetShardExhausted,
    CheckoutExpired,
    NotFound,
    OrderAlreadyPaid,
    PaymentRefused,
    PaymentStateConflict,
)
from ..domain.ledger import apply_delta
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
from ..domain.points import PointsEntry, earn
from ..domain.pricing import PayOptions
from ..observability import capture_method, metrics
from .checkouts import customers_checkout, customers_coupon, price_for
from . import clock
from .common import IdempotentRequest, LedgerPolicy, Outcome, run_movement, wallet_or_empty
from .merchant_rules import ConfigCache
from .payment_parts import day_totals, membership_change, points_line, spend_days, visible_payment
from .ports import Payments, PayStore


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
