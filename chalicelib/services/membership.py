"""Membership tiers: set by operators, held by customers by what their balance paid over 12 months."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from ..domain.errors import ConcurrentUpdate, Forbidden, InvalidRequest, VersionTaken
from ..domain.model import Principal
from ..domain.tiers import Tier, TierTable, effective, rolling_spend
from ..observability import capture_method
from . import clock
from .ports import Snapshots, TiersStore


@capture_method
def put_tiers(store: TiersStore, principal: Principal, tiers: list[dict[str, Any]], cache: Any) -> dict[str, Any]:
    """Replace the tiers (the next version). Thresholds strictly ascending from 0; names unique."""
    if not principal.is_admin:
        raise Forbidden("an admin sets the membership tiers")
    names = [t["name"] for t in tiers]
    if len(set(names)) != len(names):
        raise InvalidRequest("tier names must be unique", field="tiers")
    for t in tiers:
        if (Decimal(str(t["points_multiplier"])) * 100) % 1:
            raise InvalidRequest("points_multiplier has at most two decimals", field="points_multiplier")
    thresholds = [t["threshold"] for t in tiers]
    if thresholds[0] != 0 or any(b <= a for a, b in zip(thresholds, thresholds[1:])):
        raise InvalidRequest("thresholds must start at 0 and rise strictly", field="tiers")
    for _ in range(5):
        current = store.snapshot(tiers=True).tiers
        table = TierTable(
            tuple(
                Tier(
                    t["name"],
                    t["threshold"],
                    int(Decimal(str(t["points_multiplier"])) * 100),
                    t["balance_pay_discount_percent"],
                )
                for t in tiers
            ),
            (current.version if current else 0) + 1,
        )
        try:
            store.put_tiers(table, clock.stamp())
        except VersionTaken:
            continue
        cache.clear()  # this function prices with them at once; the others within the cache's time
        return {"version": table.version, "tiers": [t.as_view() for t in table.tiers]}
    raise ConcurrentUpdate(5)


@capture_method
def get_tiers(store: Snapshots, principal: Principal) -> dict[str, Any]:
    """The tiers as last set (version 0 and none before any was)."""
    if not principal.is_admin:
        raise Forbidden("an admin reads the membership tiers")
    table = store.snapshot(tiers=True).tiers
    return {"version": table.version if table else 0, "tiers": [t.as_view() for t in table.tiers] if table else []}


@capture_method
def get_membership(store: Snapshots, currency: str, user_id: str) -> dict[str, Any]:
    snap = store.snapshot(wallet=user_id, tiers=True)
    table = snap.tiers or TierTable()
    now = clock.now()
    months = snap.wallet.spend_months if snap.wallet else {}
    held, warning = effective(
        table, snap.wallet.tier if snap.wallet else None, months, now, snap.wallet.tier_since if snap.wallet else None
    )
    spend = rolling_spend(months, now.date())
    nxt = table.above(held)
    return {
        "user_id": user_id,
        "tier": held.as_view() if held else None,
        "rolling_spend": spend,
        "next_tier": nxt.as_view() if nxt else None,
        "to_next_tier": max(0, nxt.threshold - spend) if nxt else None,
        "downgrade_warning": warning,
    }
