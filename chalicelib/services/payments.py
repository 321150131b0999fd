"""Paying an order with balance, reading a payment, refunding it."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any, Callable

from ..domain.checkout import format_time
from ..domain.errors import AmountExceedsLimit, CheckoutExpired, Forbidden, NotFound, OrderAlreadyPaid, \
    PaymentRefused
from ..domain.ledger import apply_delta, split_refund
from ..domain.model import Entry, Movement, Payment, Principal, Refund, Snapshot, Wallet, new_id, utc_now
from ..domain.pricing import PayOptions
from ..observability import capture_method, metrics
from .checkouts import customers_checkout, price_for
from . import clock
from .common import IdempotentRequest, LedgerPolicy, LedgerStore, Outcome, run_movement, wallet_or_empty
from .merchant_rules import ConfigCache


@capture_method
def pay(
    store: LedgerStore, policy: LedgerPolicy, cache: ConfigCache, principal: Principal, request: IdempotentRequest,
    checkout_id: str, options: PayOptions, after_commit: Callable[[], None] | None = None,
) -> Outcome:
    """Pay a checkout from its customer's wallet, exactly as its quote says: one read, one transaction.

    Invariants: no lot goes negative; a checkout (and a merchant's order) is paid at most once
    (the checkout's status and the order guard are conditions of the transaction); the day's
    spend at the merchant moves with the wallet it is kept on; the key replays the first answer.
    """
    user_id = principal.user_id

    def read() -> Snapshot:
        snap = store.snapshot(wallet=user_id, checkout=checkout_id, idempotency=(request.scope, request.key))
        if snap.idempotency is None:
            customers_checkout(snap, principal, checkout_id)
        return snap

    def plan(snap: Snapshot) -> tuple[Movement, Outcome]:
        checkout = customers_checkout(snap, principal, checkout_id)
        if checkout.status != "open":
            raise OrderAlreadyPaid(checkout.merchant_id, checkout.order_id)
        now = clock.now()
        if checkout.expired(now):
            raise CheckoutExpired(checkout_id, checkout.expires_at)
        config = cache.get(store, checkout.merchant_id)
        if config.merchant is None or not config.merchant.active:
            raise NotFound("merchant", checkout.merchant_id)
        wallet = wallet_or_empty(snap.wallet, user_id, policy.currency)
        q = price_for(snap, config.rules, policy, options, now)
        if q.refusal is not None:
            if q.refusal.code == "insufficient_balance":
                metrics.add_metric(name="InsufficientBalance", unit="Count", value=1)
            raise PaymentRefused(q.refusal.code, q.refusal.message, **q.details)
        if q.balance > policy.max_amount:
            raise AmountExceedsLimit(q.balance, policy.max_amount)
        created = format_time(now)
        payment = Payment(
            payment_id=new_id("pay"), user_id=user_id, merchant_id=checkout.merchant_id, order_id=checkout.order_id,
            amount=q.amount, funded_by=q.funded_by, items=[line.as_dict() for line in checkout.lines],
            created_at=created, checkout_id=checkout_id, discount=q.discount, external=q.external,
            rules_version=q.rules_version,
        )
        after = apply_delta(wallet.lots, -q.funded_by)
        entry = Entry(
            user_id=user_id, seq=wallet.version + 1, entry_id=new_id("ent"), type="payment", delta=-q.funded_by,
            balance_after=after, created_at=created,
            refs={"payment_id": payment.payment_id, "order_id": checkout.order_id,
                  "merchant_id": checkout.merchant_id, "checkout_id": checkout_id},
        )
        body = {
            "payment_id": payment.payment_id, "checkout_id": checkout_id, "order_id": checkout.order_id,
            "merchant_id": checkout.merchant_id, "amount": q.amount, "discounts": q.discounts,
            "discount_total": q.discount, "funded_by": q.funded_by.as_dict(), "external": q.external,
            "status": q.status, "rules_version": q.rules_version, "balance": after.as_balance(),
            "created_at": created,
        }
        movement = Movement(wallet=wallet, entry=entry, new_payment=payment, checkout=checkout,
                            daily_spend=_day_totals(wallet, checkout.merchant_id, q.local_day,
                                                    q.spent_today + q.balance, now))
        return movement, Outcome(201, body)

    outcome = run_movement(store, policy.max_attempts, request, read, plan, after_commit)
    if not outcome.replayed:
        metrics.add_metric(name="Payments", unit="Count", value=1)
        metrics.add_metric(name="PaymentAmount", unit="Count", value=outcome.body["funded_by"]["cash"]
                           + outcome.body["funded_by"]["bonus"])
    return outcome


def _day_totals(wallet: Wallet, merchant_id: str, day: str, spent: int, now: datetime) -> dict[str, tuple[str, int]]:
    """The wallet's per-merchant day totals with this merchant's updated; days that can no longer be
    anybody's today (two days before now in UTC) are dropped, so the map stays small."""
    oldest = (now - timedelta(days=2)).date().isoformat()
    totals = {m: v for m, v in wallet.daily_spend.items() if v[0] >= oldest}
    totals[merchant_id] = (day, spent)
    return totals


def _visible_payment(snap: Snapshot, principal: Principal, payment_id: str) -> Payment:
    """The payment if the caller may see it; 'not found' otherwise (its existence is private)."""
    p = snap.payment
    if p is None or not (
        principal.is_admin or principal.is_service or p.user_id == principal.user_id
        or p.merchant_id in principal.merchant_ids
    ):
        raise NotFound("payment", payment_id)
    return p


def payment_view(payment: Payment, refunds: list[Refund]) -> dict[str, Any]:
    return {
        "payment_id": payment.payment_id, "order_id": payment.order_id, "merchant_id": payment.merchant_id,
        "user_id": payment.user_id, "amount": payment.amount, "funded_by": payment.funded_by.as_dict(),
        "checkout_id": payment.checkout_id, "discount_total": payment.discount, "external": payment.external,
        "rules_version": payment.rules_version, "items": payment.items, "status": "refunded" if payment.refundable == 0 else (
            "partially_refunded" if payment.refunded.total else "succeeded"),
        "refunded": payment.refunded.total, "refundable": payment.refundable,
        "refunds": [r.as_view() for r in sorted(refunds, key=lambda r: r.created_at)],
        "created_at": payment.created_at,
    }


@capture_method
def get_payment(store: LedgerStore, principal: Principal, payment_id: str) -> dict[str, Any]:
    payment, refunds = store.get_payment_with_refunds(payment_id)
    return payment_view(_visible_payment(Snapshot(payment=payment), principal, payment_id), refunds)


@capture_method
def refund(
    store: LedgerStore, *, currency: str, max_attempts: int, principal: Principal, request: IdempotentRequest,
    payment_id: str, amount: int, reason: str, after_commit: Callable[[], None] | None = None,
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
        payment = _visible_payment(snap, principal, payment_id)
        if not (principal.is_admin or principal.is_service or payment.merchant_id in principal.merchant_ids):
            raise Forbidden("only the payment's merchant, an admin or a service may refund it")
        return Snapshot(payment=payment, wallet=store.get_wallet(payment.user_id))

    def plan(snap: Snapshot) -> tuple[Movement, Outcome]:
        payment = snap.payment
        assert payment is not None
        wallet = wallet_or_empty(snap.wallet, payment.user_id, currency)
        returned = split_refund(payment.funded_by, payment.refunded, amount)
        now = utc_now()
        r = Refund(
            refund_id=new_id("ref"), payment_id=payment_id, amount=amount, returned_to=returned,
            reason=reason, created_at=now,
        )
        entry = Entry(
            user_id=payment.user_id, seq=wallet.version + 1, entry_id=new_id("ent"), type="refund",
            delta=returned, balance_after=apply_delta(wallet.lots, returned), created_at=now,
            refs={"payment_id": payment_id, "refund_id": r.refund_id, "order_id": payment.order_id,
                  "merchant_id": payment.merchant_id, "reason": reason},
        )
        body = {**r.as_view(), "refundable": payment.refundable - amount}
        return Movement(wallet=wallet, entry=entry, refund=r, payment=payment), Outcome(201, body)

    return run_movement(store, max_attempts, request, read, plan, after_commit)
