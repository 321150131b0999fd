"""Paying an order with balance, reading a payment, refunding it."""
from __future__ import annotations

from typing import Any, Callable

from ..domain.errors import AmountExceedsLimit, Forbidden, InsufficientFunds, NotFound
from ..domain.ledger import apply_delta, split_refund, split_spend
from ..domain.model import Entry, Movement, Payment, Principal, Refund, Snapshot, new_id, utc_now
from ..observability import capture_method, metrics
from .common import IdempotentRequest, LedgerStore, Outcome, run_movement, wallet_or_empty


def order_total(items: list[dict[str, Any]]) -> int:
    return sum(int(i["unit_price"]) * int(i["quantity"]) for i in items)


@capture_method
def pay(
    store: LedgerStore, *, currency: str, max_attempts: int, max_amount: int, spend_order: tuple[str, ...],
    principal: Principal, request: IdempotentRequest, order_id: str, merchant_id: str,
    items: list[dict[str, Any]], after_commit: Callable[[], None] | None = None,
) -> Outcome:
    """Pay a merchant's order from the caller's wallet: one read, one transaction.

    Invariants: no lot goes negative; a merchant's order is paid at most once
    (a guard item in the same transaction); the key replays the first answer.
    """
    amount = order_total(items)
    if amount > max_amount:
        raise AmountExceedsLimit(amount, max_amount)
    user_id = principal.user_id

    def read() -> Snapshot:
        return store.snapshot(wallet=user_id, merchant=merchant_id, idempotency=(request.scope, request.key))

    def plan(snap: Snapshot) -> tuple[Movement, Outcome]:
        if snap.merchant is None or not snap.merchant.active:
            raise NotFound("merchant", merchant_id)
        wallet = wallet_or_empty(snap.wallet, user_id, currency)
        try:
            taken = split_spend(wallet.lots, amount, spend_order)
        except InsufficientFunds:
            metrics.add_metric(name="InsufficientBalance", unit="Count", value=1)
            raise
        now = utc_now()
        payment = Payment(
            payment_id=new_id("pay"), user_id=user_id, merchant_id=merchant_id, order_id=order_id,
            amount=amount, funded_by=taken, items=items, created_at=now,
        )
        after = apply_delta(wallet.lots, -taken)
        entry = Entry(
            user_id=user_id, seq=wallet.version + 1, entry_id=new_id("ent"), type="payment", delta=-taken,
            balance_after=after, created_at=now,
            refs={"payment_id": payment.payment_id, "order_id": order_id, "merchant_id": merchant_id},
        )
        body = {
            "payment_id": payment.payment_id, "order_id": order_id, "merchant_id": merchant_id,
            "amount": amount, "funded_by": taken.as_dict(), "balance": after.as_balance(),
            "status": "succeeded", "created_at": now,
        }
        return Movement(wallet=wallet, entry=entry, new_payment=payment), Outcome(201, body)

    outcome = run_movement(store, max_attempts, request, read, plan, after_commit)
    if not outcome.replayed:
        metrics.add_metric(name="Payments", unit="Count", value=1)
        metrics.add_metric(name="PaymentAmount", unit="Count", value=amount)
    return outcome


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
        "items": payment.items, "status": "refunded" if payment.refundable == 0 else (
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
