"""Bonus by grant: each grant of bonus balance with its expiry (or none), and top-up bonus plans.

The wallet's ``bonus`` lot is the sum of its grants (``book`` restores that for wallets written before
grants existed: the difference is one grant that never expires). Pure functions; the invariants:

- spending draws the soonest-expiring grant that has not expired first, grants that never expire last;
  an expired grant is never spent (``spendable`` leaves it out of what pricing sees);
- what a payment drew is recorded on it per grant (``Drawn``); a release, a void or a refund gives bonus
  back to those grants, the latest-expiring first, and a grant that is gone is recreated with its own
  expiry. Bonus given back to a grant that has expired meanwhile is not spendable and leaves with the next
  expiry run (an ``expiry`` entry), as it would have had it never been spent;
- the expiry job removes exactly the expired grants, once: the removal and its ``expiry`` entry are one
  transaction conditioned on the wallet's version.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any, Iterable

from .errors import InvalidRequest

NEVER = "9999-12-31T23:59:59.999Z"  # sorts after every expiry


@dataclass(frozen=True)
class BonusGrant:
    grant_id: str
    amount: int
    expires_at: str | None = None  # ISO UTC; None never expires
    source: str = ""  # the top-up plan, or the adjustment, that granted it

    def as_doc(self) -> list[Any]:
        return [self.grant_id, self.amount, self.expires_at, self.source]

    def expired(self, now: str) -> bool:
        return self.expires_at is not None and self.expires_at <= now


@dataclass(frozen=True)
class Drawn:
    """Bonus a payment took from one grant (and has not given back)."""

    grant_id: str
    amount: int
    expires_at: str | None
    source: str = ""

    def as_doc(self) -> list[Any]:
        return [self.grant_id, self.amount, self.expires_at, self.source]


def grants_from_doc(doc: list[list[Any]] | None) -> tuple[BonusGrant, ...]:
    return tuple(BonusGrant(str(g[0]), int(g[1]), g[2], str(g[3]) if len(g) > 3 else "") for g in (doc or []))


def drawn_from_doc(doc: list[list[Any]] | None) -> tuple[Drawn, ...]:
    return tuple(Drawn(str(d[0]), int(d[1]), d[2], str(d[3]) if len(d) > 3 else "") for d in (doc or []))


def _order(grants: Iterable[BonusGrant]) -> tuple[BonusGrant, ...]:
    return tuple(sorted((g for g in grants if g.amount > 0), key=lambda g: (g.expires_at or NEVER, g.grant_id)))


def book(grants: tuple[BonusGrant, ...], bonus: int) -> tuple[BonusGrant, ...]:
    """The grants of a wallet whose bonus lot is ``bonus``: as stored, plus (for bonus from before grants)
    one grant ``untracked`` that never expires."""
    tracked = sum(g.amount for g in grants)
    if tracked < bonus:
        untracked = next((g.amount for g in grants if g.grant_id == "untracked"), 0)
        grants = (
            *(g for g in grants if g.grant_id != "untracked"),
            BonusGrant("untracked", untracked + bonus - tracked),
        )
    elif tracked > bonus:  # never written so; keep the lot authoritative and drop the soonest-expiring excess
        grants, _ = draw(grants, tracked - bonus, None)
    return _order(grants)


def expired_total(grants: tuple[BonusGrant, ...], now: str) -> int:
    return sum(g.amount for g in grants if g.expired(now))


def draw(
    grants: tuple[BonusGrant, ...], amount: int, now: str | None
) -> tuple[tuple[BonusGrant, ...], tuple[Drawn, ...]]:
    """Take ``amount`` from the grants, soonest expiry first, skipping those expired at ``now`` (None: take
    from any, soonest first, as a correction does). Raises if they hold less."""
    left, out, drawn = amount, [], []
    for g in _order(grants):
        take = 0 if (now is not None and g.expired(now)) else min(g.amount, left)
        if take:
            drawn.append(Drawn(g.grant_id, take, g.expires_at, g.source))
            left -= take
        out.append(replace(g, amount=g.amount - take))
    if left:
        raise InvalidRequest(f"the bonus grants hold {amount - left} of the {amount} to draw", code="bonus_short")
    return _order(out), tuple(drawn)


def give_back(
    grants: tuple[BonusGrant, ...], drawn: tuple[Drawn, ...], amount: int
) -> tuple[tuple[BonusGrant, ...], tuple[Drawn, ...]]:
    """Return ``amount`` of what a payment drew to its grants, the latest-expiring first; a grant that is
    gone (spent to zero, or expired and removed) is recreated with its own expiry. Returns the grants and
    what the payment still holds drawn."""
    if amount > sum(d.amount for d in drawn):
        raise InvalidRequest("more bonus given back than the payment drew", code="bonus_short")
    by_id = {g.grant_id: g for g in grants}
    left, still = amount, []
    for d in sorted(drawn, key=lambda d: (d.expires_at or NEVER, d.grant_id), reverse=True):
        back = min(d.amount, left)
        left -= back
        if back:
            g = by_id.get(d.grant_id) or BonusGrant(d.grant_id, 0, d.expires_at, d.source)
            by_id[d.grant_id] = replace(g, amount=g.amount + back)
        if d.amount - back:
            still.append(replace(d, amount=d.amount - back))
    return _order(by_id.values()), tuple(sorted(still, key=lambda d: (d.expires_at or NEVER, d.grant_id)))


def add(grants: tuple[BonusGrant, ...], grant: BonusGrant) -> tuple[BonusGrant, ...]:
    return _order((*grants, grant))


def expire(grants: tuple[BonusGrant, ...], now: str) -> tuple[tuple[BonusGrant, ...], tuple[BonusGrant, ...]]:
    """(the grants that remain, the grants expired at ``now``)."""
    gone = tuple(g for g in grants if g.expired(now))
    return _order(g for g in grants if not g.expired(now)), gone


def soonest_expiry(grants: tuple[BonusGrant, ...]) -> str | None:
    return min((g.expires_at for g in grants if g.expires_at and g.amount > 0), default=None)


def expiring_view(grants: tuple[BonusGrant, ...]) -> list[dict[str, Any]]:
    """``bonus_expiring`` of the wallet view: per expiry time, soonest first (grants that never expire are
    not listed)."""
    by_time: dict[str, int] = {}
    for g in grants:
        if g.expires_at and g.amount > 0:
            by_time[g.expires_at] = by_time.get(g.expires_at, 0) + g.amount
    return [{"amount": a, "expires_at": t} for t, a in sorted(by_time.items())]


# ---- top-up bonus plans (充值赠送) ------------------------------------------------------------------


@dataclass(frozen=True)
class TopupPlan:
    plan_id: str
    name: str
    min_amount: int
    bonus_amount: int | None = None  # a fixed bonus, or
    bonus_percent: int | None = None  # a percent of the top-up, at most bonus_max
    bonus_max: int | None = None
    bonus_valid_days: int | None = None  # None: the bonus never expires
    valid_from: str = ""
    valid_to: str = ""
    per_customer_limit: int | None = None
    active: bool = True
    version: int = 0

    def bonus_for(self, amount: int) -> int:
        if amount < self.min_amount:
            return 0
        if self.bonus_amount is not None:
            return self.bonus_amount
        bonus = amount * (self.bonus_percent or 0) // 100
        return min(bonus, self.bonus_max) if self.bonus_max is not None else bonus

    def live(self, now: str) -> bool:
        return self.active and self.valid_from <= now < self.valid_to

    def as_doc(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in self.__dataclass_fields__ if k not in ("plan_id", "version")}

    @classmethod
    def from_doc(cls, plan_id: str, doc: dict[str, Any], version: int = 0) -> "TopupPlan":
        fields: dict[str, Any] = {
            k: doc[k] for k in cls.__dataclass_fields__ if k in doc and k not in ("plan_id", "version")
        }
        return cls(plan_id=plan_id, version=version, **fields)

    def as_view(self) -> dict[str, Any]:
        return {"plan_id": self.plan_id, **self.as_doc(), "version": self.version}


def best_plan(plans: Iterable[TopupPlan], amount: int, now: str, uses: dict[str, int]) -> tuple[TopupPlan | None, int]:
    """The plan whose bonus a top-up of ``amount`` gets now: among live plans whose minimum it reaches and
    whose per-customer limit the customer has not used up, the largest bonus; on a tie the bonus that
    lasts longer (never expiring beats any), then the plan ending soonest, then the plan id. Plans never
    stack: one top-up, one plan."""
    candidates = []
    for p in plans:
        if not p.live(now):
            continue
        if p.per_customer_limit is not None and uses.get(p.plan_id, 0) >= p.per_customer_limit:
            continue
        bonus = p.bonus_for(amount)
        if bonus > 0:
            days = p.bonus_valid_days if p.bonus_valid_days is not None else 10**6
            candidates.append((-bonus, -days, p.valid_to, p.plan_id, p))
    if not candidates:
        return None, 0
    best = min(candidates, key=lambda c: c[:4])
    return best[4], -best[0]


def plan_grant(plan: TopupPlan, bonus: int, grant_id: str, now: datetime) -> BonusGrant:
    expires = (now + timedelta(days=plan.bonus_valid_days)) if plan.bonus_valid_days is not None else None
    return BonusGrant(
        grant_id,
        bonus,
        expires.isoformat(timespec="milliseconds").replace("+00:00", "Z") if expires else None,
        f"plan:{plan.plan_id}",
    )
