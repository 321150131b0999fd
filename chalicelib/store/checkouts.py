"""Checkouts and their orders' guards: ``C#{checkout} / CHECKOUT`` and ``K#{merchant}#{order} / CHECKOUT``.

A checkout is the merchant's priced order for one customer; its guard keeps one live checkout per merchant
order (an expired one's guard may be taken over). A payment of the checkout marks it paid or authorized in
the payment's own transaction (``checkout_paid_change``); cancelling closes an open one and may free its order.
Until one of those, or its expiry (``checkout_expiry``), it is on the sweeper's work list (``open-holds``).
"""

from __future__ import annotations

from datetime import datetime, timezone

from ..domain.checkout import Checkout, Line
from ..domain.errors import CheckoutExists, IdempotencyKeyTaken, ReadChanged
from ..domain.model import IdempotencyRecord, Payment
from .base import StoreBase
from .checkout_expiry import listing, unlisted
from .guards import Cancelled, Change, Guarded, Put
from .idempotency import idempotency_put
from .keys import checkout_guard_key, checkout_key
from .models import CheckoutGuardItem, CheckoutItem


def as_checkout(item: CheckoutItem) -> Checkout:
    return Checkout(
        checkout_id=item.checkout_id,
        merchant_id=item.merchant_id,
        order_id=item.order_id,
        user_id=item.user_id,
        lines=tuple(
            Line(str(x["sku"]), str(x["category"]), int(x["unit_price"]), int(x["quantity"])) for x in item.lines
        ),
        status=item.status,
        created_at=item.created_at,
        expires_at=item.expires_at,
        payment_id=item.payment_id,
        cancelled_at=item.cancelled_at,
        cancel_reason=item.cancel_reason,
    )


def live_checkout_id(item: CheckoutGuardItem) -> str | None:
    """The checkout an order's guard names, while that checkout has not expired."""
    return item.checkout_id if int(item.expires_epoch) > datetime.now(timezone.utc).timestamp() else None


def checkout_paid_change(checkout: Checkout, payment: Payment) -> Change:
    """The paying movement's checkout: paid (or authorized), only while open (label ``checkout``); paid, it
    leaves the sweeper's work list (authorized, it stays: a void or an ended hold opens it again)."""
    paid = payment.status == "succeeded"
    return Change(
        "checkout",
        CheckoutItem(*checkout_key(checkout.checkout_id)),
        [
            CheckoutItem.status.set("paid" if paid else "authorized"),
            CheckoutItem.payment_id.set(payment.payment_id),
            *(unlisted() if paid else []),
        ],
        CheckoutItem.pk.exists() & (CheckoutItem.status == "open"),
    )


class CheckoutStore(StoreBase):
    def create_checkout(self, checkout: Checkout, idem: IdempotencyRecord) -> None:
        """The checkout, its order guard (new, or replacing an expired checkout's) and the key, in one transaction."""
        now = datetime.now(timezone.utc).timestamp()
        expires = datetime.fromisoformat(checkout.expires_at.replace("Z", "+00:00")).timestamp()
        try:
            with Guarded(self._connection) as tx:
                tx.send(
                    [
                        idempotency_put(idem, self._ttl),
                        Put(
                            "order_guard",
                            CheckoutGuardItem(
                                *checkout_guard_key(checkout.merchant_id, checkout.order_id),
                                kind="checkout_guard",
                                checkout_id=checkout.checkout_id,
                                expires_epoch=int(expires),
                            ),
                            CheckoutGuardItem.pk.does_not_exist() | (CheckoutGuardItem.expires_epoch <= int(now)),
                        ),
                        Put(
                            "checkout",
                            CheckoutItem(
                                *checkout_key(checkout.checkout_id),
                                kind="checkout",
                                checkout_id=checkout.checkout_id,
                                merchant_id=checkout.merchant_id,
                                order_id=checkout.order_id,
                                user_id=checkout.user_id,
                                lines=[line.as_dict() for line in checkout.lines],
                                status=checkout.status,
                                created_at=checkout.created_at,
                                expires_at=checkout.expires_at,
                                **listing(checkout),
                            ),
                            CheckoutItem.pk.does_not_exist(),
                        ),
                    ]
                )
        except Cancelled as exc:
            if "idempotency" in exc.failed:
                raise IdempotencyKeyTaken() from exc
            if "order_guard" in exc.failed:
                raise CheckoutExists(checkout.merchant_id, checkout.order_id) from exc
            raise

    def cancel_checkout(self, checkout: Checkout, at: str, reason: str | None, release_order: bool) -> None:
        """Close an open checkout with no payment (conditioned on that), and with ``release_order`` its order's
        guard, so the order may get a new checkout. Raises ``ReadChanged`` if either changed since read."""
        try:
            with Guarded(self._connection) as tx:
                tx.change(
                    "checkout",
                    CheckoutItem(*checkout_key(checkout.checkout_id)),
                    [
                        CheckoutItem.status.set("cancelled"),
                        CheckoutItem.cancelled_at.set(at),
                        *([CheckoutItem.cancel_reason.set(reason)] if reason else []),
                        *unlisted(),
                    ],
                    CheckoutItem.pk.exists()
                    & (CheckoutItem.status == "open")
                    & CheckoutItem.payment_id.does_not_exist(),
                )
                if release_order:
                    tx.change(
                        "order_guard",
                        CheckoutGuardItem(*checkout_guard_key(checkout.merchant_id, checkout.order_id)),
                        [CheckoutGuardItem.expires_epoch.set(0)],
                        CheckoutGuardItem.checkout_id == checkout.checkout_id,
                    )
        except Cancelled as exc:
            raise ReadChanged(None) from exc  # the checkout was paid or authorized, or its order moved on
