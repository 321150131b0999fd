"""Points: a customer's points account, earned on what balance paid and spent at checkout.

The account lives on the wallet item (so a payment still updates one item, under the wallet's
version) with its own immutable entries. Points earned are pending for the return window, then
available; maturing needs no write: whoever reads or changes the account first moves the pending
lots whose time has come (``matured``), which changes no total.

Invariants: available, pending and held are never negative; every change of the total is one
entry (``delta``), so the total equals the sum of the entries; a payment's points move in the
payment's own transaction.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from .moments import format_time, parse_time


@dataclass(frozen=True)
class PointsPolicy:
    """``earn_per_yuan`` points per ¥1 (100 fen) that balance paid; one point is worth ``point_value`` fen;
    points pay at most ``max_share_percent`` of an order; earned points wait ``return_window_days``."""

    earn_per_yuan: int = 1
    point_value: int = 1
    max_share_percent: int = 50
    return_window_days: int = 7

    def earned(self, balance_paid: int, multiplier_percent: int = 100, promotion_percent: int = 100) -> int:
        """Points for ``balance_paid`` fen: whole yuan only, times the tier's multiplier and a promotion's
        factor (both in percent), rounded down once, after both."""
        return (balance_paid // 100) * self.earn_per_yuan * multiplier_percent * promotion_percent // 10000


@dataclass(frozen=True)
class Pending:
    amount: int
    available_at: str
    payment_id: str


@dataclass(frozen=True)
class PointsAccount:
    available: int = 0
    pending: tuple[Pending, ...] = ()
    held: int = 0  # spent by an authorization not yet captured
    lifetime_earned: int = 0
    version: int = 0  # the seq of its last entry

    @property
    def pending_total(self) -> int:
        return sum(p.amount for p in self.pending)

    @property
    def total(self) -> int:
        return self.available + self.pending_total + self.held

    def matured(self, now: datetime) -> "PointsAccount":
        due = [p for p in self.pending if parse_time(p.available_at) <= now]
        if not due:
            return self
        return replace(
            self,
            available=self.available + sum(p.amount for p in due),
            pending=tuple(p for p in self.pending if p not in due),
        )

    def as_view(self, now: datetime) -> dict[str, Any]:
        m = self.matured(now)
        return {
            "available": m.available,
            "pending": m.pending_total,
            "held": m.held,
            "lifetime_earned": m.lifetime_earned,
            "next_available_at": min((p.available_at for p in m.pending), default=None),
        }

    def as_doc(self) -> dict[str, Any]:
        return {
            "available": self.available,
            "held": self.held,
            "lifetime_earned": self.lifetime_earned,
            "version": self.version,
            "pending": [[p.amount, p.available_at, p.payment_id] for p in self.pending],
        }

    @classmethod
    def from_doc(cls, doc: dict[str, Any] | None) -> "PointsAccount":
        if not doc:
            return cls()
        return cls(
            available=int(doc.get("available", 0)),
            held=int(doc.get("held", 0)),
            lifetime_earned=int(doc.get("lifetime_earned", 0)),
            version=int(doc.get("version", 0)),
            pending=tuple(Pending(int(a), str(t), str(pid)) for a, t, pid in doc.get("pending", [])),
        )


@dataclass(frozen=True)
class PointsEntry:
    """One immutable line of a points account, written with the movement that caused it.

    ``delta`` is the change of the account's total (available + pending + held): earned + returned
    - spent - (clawed - shortfall). A hold moves points from available to held (delta 0); its release
    moves them back (delta 0).
    """

    user_id: str
    seq: int
    entry_id: str
    type: str  # payment | authorization | capture | release | refund
    after: PointsAccount
    created_at: str
    spent: int = 0
    earned: int = 0
    returned: int = 0
    clawed: int = 0
    shortfall: int = 0  # earned points a refund should have taken back but were already spent
    held: int = 0  # points put on hold (+) or taken off hold (-): moves within the account, not in its total
    refs: dict[str, str] = field(default_factory=dict)

    @property
    def delta(self) -> int:
        return self.earned + self.returned - self.spent - (self.clawed - self.shortfall)

    def as_view(self) -> dict[str, Any]:
        return {
            "id": self.entry_id,
            "type": self.type,
            "points": self.delta,
            "held": self.held,
            "spent": self.spent,
            "earned": self.earned,
            "returned": self.returned,
            "clawed_back": self.clawed - self.shortfall,
            "shortfall": self.shortfall,
            "available_after": self.after.available,
            "pending_after": self.after.pending_total,
            "held_after": self.after.held,
            **self.refs,
            "created_at": self.created_at,
        }


def earn(account: PointsAccount, points: int, payment_id: str, now: datetime, policy: PointsPolicy) -> PointsAccount:
    """Add ``points`` pending until the return window has passed."""
    if points <= 0:
        return account
    until = format_time(now.fromtimestamp(now.timestamp() + policy.return_window_days * 86400, now.tzinfo))
    return replace(
        account,
        pending=account.pending + (Pending(points, until, payment_id),),
        lifetime_earned=account.lifetime_earned + points,
    )


def claw_back(account: PointsAccount, points: int, payment_id: str) -> tuple[PointsAccount, int]:
    """Take back ``points`` earned by a payment: from its own pending lot first, then from what is available.
    Never below zero: what cannot be taken is returned as the shortfall (recorded, not collected)."""
    left = points
    pending = []
    for p in account.pending:
        if p.payment_id == payment_id and left:
            take = min(p.amount, left)
            left -= take
            if p.amount > take:
                pending.append(replace(p, amount=p.amount - take))
        else:
            pending.append(p)
    from_available = min(account.available, left)
    left -= from_available
    return replace(account, pending=tuple(pending), available=account.available - from_available), left
