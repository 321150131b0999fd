"""Bonus by grant: each grant of bonus balance with its expiry (or none).

The wallet's ``bonus`` lot is the sum of its grants. Spending draws the soonest-expiring grant first;
a refund or a release gives bonus back to the grants it came from.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class BonusGrant:
    grant_id: str
    amount: int
    expires_at: str | None = None  # ISO UTC; None never expires
    source: str = ""  # the top-up plan, or the adjustment, that granted it

    def as_doc(self) -> list[Any]:
        return [self.grant_id, self.amount, self.expires_at, self.source]


def grants_from_doc(doc: list[list[Any]] | None) -> tuple[BonusGrant, ...]:
    return tuple(BonusGrant(str(g[0]), int(g[1]), g[2], str(g[3]) if len(g) > 3 else "") for g in (doc or []))
