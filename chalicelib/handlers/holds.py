"""The hold sweeper (EventBridge schedule, every 5 minutes): releases authorizations whose hold has ended,
and expires the checkouts that ended unpaid.

Its work list is the table's sparse index ``open-holds`` (shard, end), read shard by shard; each
payment is then released by one conditional transaction (``authorizations.expire_hold``), so an entry
the index still shows after a capture or a void releases nothing, and two sweeps never release twice.
The same index lists the checkouts not yet paid, cancelled or expired by their ``expires_at``; each one
due is expired by one conditional write (``checkout_expiry.expire_checkout``), which the stream
publishes as ``checkout.expired``, once (docs/checkout.md says why not DynamoDB's TTL).
"""

from __future__ import annotations

from typing import Any

from chalice import Blueprint

from ..config import get_settings
from ..observability import logger, metrics
from ..services import clock
from ..services.common import LedgerPolicy
from ..services.authorizations import expire_hold
from ..services.checkout_expiry import expire_checkout
from .. import bootstrap

bp = Blueprint(__name__)


def sweep_expired_holds() -> dict[str, Any]:
    store, policy = bootstrap.store(), LedgerPolicy.from_settings(get_settings())
    now = clock.now().isoformat(timespec="milliseconds").replace("+00:00", "Z")
    due = store.open_holds_due(now)
    released = [pid for pid in due if expire_hold(store, policy, pid)]
    # after the holds: a checkout whose hold has just ended is open again, and may be due itself
    checkouts_due = store.open_checkouts_due(now)
    expired = [cid for cid in checkouts_due if expire_checkout(store, cid)]
    metrics.add_metric(name="HoldsExpired", unit="Count", value=len(released))
    metrics.add_metric(name="CheckoutsExpired", unit="Count", value=len(expired))
    logger.info(
        "hold sweep",
        extra={
            "due": len(due),
            "released": len(released),
            "checkouts_due": len(checkouts_due),
            "checkouts_expired": len(expired),
        },
    )
    metrics.flush_metrics()
    return {"due": len(due), "released": released, "checkouts_expired": expired}


@bp.schedule("rate(5 minutes)", name="sweep_holds")
def sweep_holds(event: Any) -> dict[str, Any]:
    return sweep_expired_holds()
