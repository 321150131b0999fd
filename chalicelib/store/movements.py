"""A money movement: exactly one ``TransactWriteItems``.

``movement_writes`` gathers the movement's parts, each written by the module of its item (the entry and the
wallet: ``wallets``; the payment, its order guard, refund and settlement: ``payments``; ...), each with its
label; ``commit`` sends them and maps the labels that failed to the domain's signals. The services decide
whether to retry, replay or refuse.
"""

from __future__ import annotations

from datetime import timedelta

from ..domain.errors import BudgetShardExhausted, IdempotencyKeyTaken, OrderAlreadyPaid, ReadChanged
from ..domain.model import Movement
from ..observability import capture_method
from .base import StoreBase
from .checkouts import checkout_paid_change
from .coupons import coupon_budget_change, coupon_state_change
from .guards import Cancelled, Guarded, Write
from .idempotency import idempotency_put
from .models import WalletItem
from .payments import order_guard_put, payment_put, payment_refunded_change, refund_put, settlement_changes
from .points import points_entry_put
from .topups import topup_credited_change
from .wallets import as_wallet, entry_put, wallet_change


def movement_writes(m: Movement, ttl: timedelta) -> list[Write]:
    """Every labelled write of ``m``: the puts, then the updates, in the order they have always been sent.

    Puts: the entry, the request's key, a new payment with its order guard, a refund, a points entry.
    Updates: the wallet, a paid checkout, a settlement's payment/checkout/order guard, a coupon and its budget
    shard, a refunded payment, a credited top-up."""
    writes: list[Write] = [entry_put(m.entry)]
    if m.idempotency is not None:
        writes.append(idempotency_put(m.idempotency, ttl))
    if m.new_payment is not None:
        writes += [payment_put(m.new_payment), order_guard_put(m.new_payment)]
    if m.refund is not None:
        writes.append(refund_put(m.refund))
    if m.points_entry is not None:
        writes.append(points_entry_put(m.points_entry))
    writes.append(wallet_change(m))
    if m.checkout is not None and m.new_payment is not None:
        writes.append(checkout_paid_change(m.checkout, m.new_payment))
    if m.settle is not None:
        writes += settlement_changes(m.settle)
    if m.coupon is not None:
        writes += [coupon_state_change(m.coupon), *coupon_budget_change(m.coupon)]
    if m.refund is not None and m.payment is not None:
        writes.append(payment_refunded_change(m.payment, m.refund, m.payment_bonus_from))
    if m.topup is not None:
        writes.append(topup_credited_change(m.topup, m.entry.created_at))
    return writes


def _refusal(m: Movement, exc: Cancelled) -> Exception:
    """The domain's signal for a cancelled movement, from the labels that failed."""
    failed = exc.failed
    if "idempotency" in failed:
        return IdempotencyKeyTaken()
    if "order" in failed and m.new_payment is not None:
        return OrderAlreadyPaid(m.new_payment.merchant_id, m.new_payment.order_id)
    if "checkout" in failed:  # paid, authorized or cancelled meanwhile: the re-read says which
        return ReadChanged(None)
    if "coupon_budget" in failed and m.coupon is not None:
        return BudgetShardExhausted(m.coupon.shard)
    # anything else read has changed (wallet version, refund total, a top-up settled meanwhile):
    # the caller re-reads and retries, and answers from the new state.
    # The entry's key is the next version, so it collides exactly when the wallet moved. The
    # failed wallet is handed back for a retry without reading, but only to a movement planned
    # from the wallet alone: a settlement's or a refund's plan also rests on the payment, and the
    # reasons need not name every failed condition (evaluation may stop at the wallet), so a
    # fresh wallet beside a stale payment could plan the impossible (a hold released twice).
    # The points entry's key is the points account's next version, which the wallet carries too.
    only_wallet = (
        "wallet" in failed and failed <= {"wallet", "entry", "points_entry"} and m.settle is None and m.refund is None
    )
    wallet_now = exc.raw_item("wallet") if only_wallet else None
    return ReadChanged(as_wallet(WalletItem.from_raw_data(wallet_now)) if wallet_now else None)


class MovementStore(StoreBase):
    @capture_method
    def commit(self, m: Movement) -> None:
        """Commit one movement as one TransactWriteItems, or raise the guard that failed."""
        writes = movement_writes(m, self._ttl)
        try:
            with Guarded(self._connection) as tx:
                tx.send(writes)
        except Cancelled as exc:
            raise _refusal(m, exc) from exc
