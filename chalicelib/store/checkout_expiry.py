"""Open checkouts on the sweeper's work list, and their expiry: ``C#{checkout} / CHECKOUT`` in ``open-holds``.

An open checkout holds its order until ``expires_at``, as an authorization holds balance until its end, so
it is listed in the same sparse index (``hold_shard`` from its id, ``hold_due`` = its ``expires_at``) from
the moment it is opened. Paying it (``checkouts.checkout_paid_change``, or a capture:
``payments.settlement_changes``), cancelling it, or its expiry here takes it off; an authorization keeps it
listed, because a void or an ended hold opens it again. The sweeper reads the list and expires each checkout
still open past its time with one conditional write, which the stream publishes as ``checkout.expired``
(the list itself: ``indexes.IndexStore.open_checkouts_due``).
"""

from __future__ import annotations

from typing import Any

from ..domain.checkout import Checkout
from ..domain.errors import ReadChanged
from .base import StoreBase
from .guards import Cancelled, Guarded
from .keys import checkout_key, hold_shard
from .models import CheckoutItem


def listing(checkout: Checkout) -> dict[str, str]:
    """The attributes that put a new checkout on the sweeper's work list (index ``open-holds``)."""
    return {"hold_shard": hold_shard(checkout.checkout_id), "hold_due": checkout.expires_at}


def unlisted() -> list[Any]:
    """The update actions that take a checkout off the work list (it is paid, cancelled or expired)."""
    return [CheckoutItem.hold_shard.remove(), CheckoutItem.hold_due.remove()]


class CheckoutExpiryStore(StoreBase):
    def expire_checkout(self, checkout: Checkout, at: str) -> None:
        """Mark an open checkout whose ``expires_at`` is at or before ``at`` expired (``expired_at`` = ``at``)
        and take it off the work list, in one conditional write. Raises ``ReadChanged`` if it is not open
        (paid, authorized, cancelled or already expired), has a payment, or is not due yet."""
        try:
            with Guarded(self._connection) as tx:
                tx.change(
                    "checkout",
                    CheckoutItem(*checkout_key(checkout.checkout_id)),
                    [CheckoutItem.status.set("expired"), CheckoutItem.expired_at.set(at), *unlisted()],
                    CheckoutItem.pk.exists()
                    & (CheckoutItem.status == "open")
                    & CheckoutItem.payment_id.does_not_exist()
                    & (CheckoutItem.expires_at <= at),
                )
        except Cancelled as exc:
            raise ReadChanged(None) from exc
