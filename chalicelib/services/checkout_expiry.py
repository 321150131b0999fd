"""A checkout that ends unpaid: the sweeper turns an open checkout past its ``expires_at`` into ``expired``.

That state change is what the stream publishes as ``checkout.expired`` (chalicelib/events/mapping.py). A paid,
authorized, cancelled or already expired checkout is left as it is, and the change is conditioned on the
checkout still being open, unpaid and due, so a checkout expires (and its event is published) once, whatever
the sweeps, their overlap or a payment racing them.
"""

from __future__ import annotations

from ..domain.errors import ReadChanged
from ..domain.moments import format_time
from ..observability import capture_method
from . import clock
from .ports import CheckoutSweepStore


@capture_method
def expire_checkout(store: CheckoutSweepStore, checkout_id: str) -> bool:
    """Expire the checkout if it is still open and its time has passed. True if this call expired it; False
    if it is paid, authorized, cancelled or expired, was changed meanwhile, or has time left.

    Invariant: only an open checkout with no payment, at or past ``expires_at``, becomes expired, and only
    once."""
    checkout = store.snapshot(checkout=checkout_id).checkout
    now = clock.now()
    if checkout is None or checkout.status != "open" or checkout.payment_id is not None or not checkout.expired(now):
        return False
    try:
        store.expire_checkout(checkout, format_time(now))
    except ReadChanged:  # paid, authorized or cancelled since the read (or being written now: the next sweep)
        return False
    return True
