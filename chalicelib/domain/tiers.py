"""Membership tiers: by balance spent over a rolling 12 months.

Spend is kept per UTC month on the wallet item (``spend_months``: {"YYYY-MM": fen}), moved by the
payments and refunds themselves; the rolling spend is the sum of the current month and the 11 before.

- An upgrade is written by the payment (or capture) that crosses the threshold, in its transaction,
  with the day it happened (``tier_since``).
- A downgrade needs no job: a customer keeps the tier held for ``GRACE_DAYS`` after the rolling spend
  first fell below its threshold; ``effective`` computes the tier at any moment from the stored tier and
  the months, so every read and every payment sees the same answer, and the next write stores it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

GRACE_DAYS = 30


@dataclass(frozen=True)
class Tier:
    name: str
    threshold: int  # fen of balance spent over 12 months
    multiplier_percent: int  # points earned x this / 100
    discount_percent: int  # off what balance pays for, rounded down

    def discount(self, covered: int) -> int:
        return covered * self.discount_percent // 100

    def as_view(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "threshold": self.threshold,
            "points_multiplier": self.multiplier_percent / 100,
            "balance_pay_discount_percent": self.discount_percent,
        }


@dataclass(frozen=True)
class TierTable:
    tiers: tuple[Tier, ...] = ()  # ascending thresholds, the first at 0
    version: int = 0

    def for_spend(self, spend: int) -> Tier | None:
        held = None
        for t in self.tiers:
            if spend >= t.threshold:
                held = t
        return held

    def named(self, name: str | None) -> Tier | None:
        return next((t for t in self.tiers if t.name == name), None)

    def above(self, tier: Tier | None) -> Tier | None:
        if tier is None:
            return self.tiers[0] if self.tiers else None
        higher = [t for t in self.tiers if t.threshold > tier.threshold]
        return higher[0] if higher else None


def month_of(moment: datetime) -> str:
    return moment.strftime("%Y-%m")


def _months_back(moment: date, n: int) -> str:
    y, m = moment.year, moment.month - n
    while m <= 0:
        y, m = y - 1, m + 12
    return f"{y:04d}-{m:02d}"


def rolling_spend(months: dict[str, int], on: date) -> int:
    """Balance spent in the month of ``on`` and the 11 before."""
    window = {_months_back(on, i) for i in range(12)}
    return sum(v for k, v in months.items() if k in window)


def below_since(months: dict[str, int], threshold: int, now: datetime) -> date | None:
    """The first day of the run of months, up to now, whose rolling spend was under ``threshold`` (None if it is
    not under it now). Rolling spend changes with the months (and with refunds inside them)."""
    today = now.date()
    if rolling_spend(months, today) >= threshold:
        return None
    first = today.replace(day=1)
    for _ in range(24):
        previous_month_end = first - timedelta(days=1)
        if rolling_spend(months, previous_month_end) >= threshold:
            return first
        first = previous_month_end.replace(day=1)
    return first


def effective(
    table: TierTable, stored: str | None, months: dict[str, int], now: datetime, held_since: str | None = None
) -> tuple[Tier | None, dict | None]:
    """The tier the customer holds at ``now`` and, when a downgrade is coming, ``{to, on}``.

    Up at once to the tier the rolling spend reaches; down only after ``GRACE_DAYS`` below the held tier's
    threshold (then to the tier the spend reaches)."""
    spend = rolling_spend(months, now.date())
    reached = table.for_spend(spend)
    held = table.named(stored)
    if held is None or (reached is not None and reached.threshold >= held.threshold):
        return reached, None
    since = below_since(months, held.threshold, now)
    if since is None:
        return held, None
    if held_since is not None:  # the grace runs from when the tier was reached at the earliest
        since = max(since, date.fromisoformat(held_since))
    downgrade_on = since + timedelta(days=GRACE_DAYS)
    if now.date() >= downgrade_on:
        return reached, None
    return held, {"to_tier": reached.name if reached else None, "on": downgrade_on.isoformat()}


def add_spend(months: dict[str, int], month: str, amount: int, now: datetime) -> dict[str, int]:
    """The months with ``amount`` (may be negative: a refund) added to ``month``, never below zero there;
    months older than the rolling window are dropped."""
    out = {k: v for k, v in months.items() if k >= _months_back(now.date(), 23)}
    out[month] = max(0, out.get(month, 0) + amount)
    return out
