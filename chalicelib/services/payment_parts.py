"""What paying, capturing, voiding and refunding share: the parts of a movement each derives from the wallet
(its points entry, membership, per-merchant day totals, spend per day, bonus given back to its grants) and the
payment read again with its owner's wallet."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any, cast

from ..domain import access
from ..domain.bonus import Drawn, give_back
from ..domain.errors import NotFound
from ..domain.model import Payment, Principal, Snapshot, Wallet, new_id
from ..domain.moments import format_time
from ..domain.points import PointsAccount, PointsEntry
from ..domain.tiers import TierTable, add_spend, effective, month_of, rolling_spend
from .ports import Snapshots


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
