"""Limited-time promotions: what one is, when it is live, which applies to a checkout, who its audience is.

Pure: no I/O. A promotion has a window ``[starts_at, ends_at)`` (UTC), an optional merchant (none: every
merchant), a status and one effect:

- ``extra_balance_discount``: ``percent`` (1..50) off the part of the order balance pays for, rounded down,
  at most ``max_amount`` fen (null: no cap);
- ``points_multiplier``: points earned x ``factor``; the factor is a decimal string ("1.5", at most two
  decimals, above 1 and at most 10) kept as a whole percent (150), so no float reaches a points amount;
- ``grant_coupon``: at the start, one coupon of ``definition_id`` to each customer of the ``audience``.

Statuses: ``pending`` (being created: its schedules are not all made yet; never priced), ``scheduled``,
``active`` (its start fired), ``ended`` (its end fired), ``cancelled``.

Invariant of pricing: an effect applies exactly when ``starts_at <= now < ends_at`` and the status is
``scheduled`` or ``active``: the schedules only record what happened (and grant the coupons), so a late
or lost schedule never makes a promotion apply outside its window.

Stacking (see docs/checkout.md): of the live promotions of one kind that apply to a checkout, the best one
applies (the largest discount on the amount balance covers; the largest factor), ties to the earliest
start, then the smallest id. The extra discount adds to the merchant's balance-pay discount and the tier's,
each computed on the same covered amount and rounded down on its own; the promotion's part, then the
tier's, is lowered so the three together never exceed ``MAX_TOTAL_DISCOUNT_PERCENT`` of it. The points
factor multiplies the tier's multiplier; the product is applied once and rounded down once.
"""

from __future__ import annotations

import hashlib
import re
from .limits import MAX_TOTAL_DISCOUNT_PERCENT
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from typing import Any, Iterable

from .moments import parse_time

KINDS = ("extra_balance_discount", "points_multiplier", "grant_coupon")
AUDIENCES = ("all_balance_payers", "balance_payers_last_30_days")
LIVE_STATUSES = ("scheduled", "active")
MAX_DISCOUNT_PERCENT = 50
FACTOR = re.compile(r"^(?:[1-9]|10)(?:\.[0-9]{1,2})?$")
SEGMENT_TIER = "tier:"


def factor_percent(text: str) -> int | None:
    """``"1.5"`` -> 150; None unless a decimal above 1 and at most 10 with at most two decimals."""
    if not FACTOR.match(text):
        return None
    whole, _, frac = text.partition(".")
    percent = int(whole) * 100 + int((frac + "00")[:2])
    return percent if 100 < percent <= 1000 else None


def factor_text(percent: int) -> str:
    whole, frac = divmod(percent, 100)
    return f"{whole}" if frac == 0 else f"{whole}.{frac:02d}".rstrip("0")


@dataclass(frozen=True)
class Effect:
    kind: str
    percent: int = 0  # extra_balance_discount
    max_amount: int | None = None  # extra_balance_discount: the cap per order, fen
    factor_percent: int = 100  # points_multiplier
    definition_id: str | None = None  # grant_coupon
    audience: Any = None  # grant_coupon: "all_balance_payers" | "balance_payers_last_30_days" | {"segment": ...}

    def discount(self, covered: int) -> int:
        d = covered * self.percent // 100
        return d if self.max_amount is None else min(d, self.max_amount)

    def as_doc(self) -> dict[str, Any]:
        if self.kind == "extra_balance_discount":
            return {"kind": self.kind, "percent": self.percent, "max_amount": self.max_amount}
        if self.kind == "points_multiplier":
            return {"kind": self.kind, "factor": factor_text(self.factor_percent)}
        return {"kind": self.kind, "definition_id": self.definition_id, "audience": self.audience}

    @classmethod
    def from_doc(cls, doc: dict[str, Any]) -> "Effect":
        kind = doc["kind"]
        if kind == "extra_balance_discount":
            return cls(
                kind,
                percent=int(doc["percent"]),
                max_amount=None if doc.get("max_amount") is None else int(doc["max_amount"]),
            )
        if kind == "points_multiplier":
            percent = factor_percent(str(doc["factor"]))
            if percent is None:
                raise ValueError(f"not a factor: {doc['factor']!r}")
            return cls(kind, factor_percent=percent)
        return cls(kind, definition_id=doc["definition_id"], audience=doc["audience"])


@dataclass(frozen=True)
class GrantProgress:
    """How far the coupon grant of a ``grant_coupon`` start has gone: the wallet scan's position after the
    last page fully granted (None: from the beginning), and what it did so far."""

    state: str = "not_started"  # not_started | running | done
    cursor: dict[str, Any] | None = None
    granted: int = 0
    skipped: int = 0
    pages: int = 0


@dataclass(frozen=True)
class Promotion:
    promotion_id: str
    name: str
    merchant_id: str | None
    starts_at: str
    ends_at: str
    effect: Effect
    status: str
    created_at: str
    created_by: str
    version: int = 1
    updated_at: str | None = None
    activated_at: str | None = None  # when its start fired
    finished_at: str | None = None  # when its end fired
    cancelled_at: str | None = None
    request_hash: str | None = None  # of the creating request (a retry with its key finds its own promotion)
    grant: GrantProgress = field(default_factory=GrantProgress)

    def live_at(self, now: datetime) -> bool:
        return self.status in LIVE_STATUSES and parse_time(self.starts_at) <= now < parse_time(self.ends_at)

    def applies_to(self, merchant_id: str) -> bool:
        return self.merchant_id is None or self.merchant_id == merchant_id

    def as_view(self) -> dict[str, Any]:
        view = {
            "promotion_id": self.promotion_id,
            "name": self.name,
            "merchant_id": self.merchant_id,
            "starts_at": self.starts_at,
            "ends_at": self.ends_at,
            "effect": self.effect.as_doc(),
            "status": self.status,
            "created_at": self.created_at,
            "created_by": self.created_by,
            "updated_at": self.updated_at,
            "activated_at": self.activated_at,
            "finished_at": self.finished_at,
            "cancelled_at": self.cancelled_at,
            "schedules": list(schedule_names(self.promotion_id)),
            "grant": None,
        }
        if self.effect.kind == "grant_coupon":
            g = self.grant
            view["grant"] = {"state": g.state, "granted": g.granted, "skipped": g.skipped}
        return view


def schedule_names(promotion_id: str) -> tuple[str, str]:
    """The names of a promotion's start and end schedules (unique in the group: the id is)."""
    return f"{promotion_id}-start", f"{promotion_id}-end"


def promotion_id_for(starts_at: datetime, scope: str, key: str) -> str:
    """The same id for the same caller, key and start: a retried creation finds its own promotion.
    It begins with the start in milliseconds (12 hex digits), so ids sort by start and the promotions
    that may still be live are one range of them."""
    digest = hashlib.sha256(f"{scope}|{key}".encode()).hexdigest()[:16]
    return f"prm_{int(starts_at.timestamp() * 1000):012x}{digest}"


def id_floor(moment: datetime) -> str:
    """The smallest promotion id whose start is at or after ``moment``."""
    return f"prm_{max(0, int(moment.timestamp() * 1000)):012x}"


# ---- pricing -------------------------------------------------------------------------------


def live_for(promotions: Iterable[Promotion], merchant_id: str, now: datetime) -> list[Promotion]:
    return [p for p in promotions if p.live_at(now) and p.applies_to(merchant_id)]


def _order(p: Promotion) -> tuple[str, str]:
    return (p.starts_at, p.promotion_id)


def best_discount(live: Iterable[Promotion], covered: int) -> tuple[Promotion | None, int]:
    """The extra-discount promotion that gives the most on ``covered`` (ties: earliest start, then id)."""
    best, amount = None, 0
    for p in sorted((p for p in live if p.effect.kind == "extra_balance_discount"), key=_order):
        d = p.effect.discount(covered)
        if best is None or d > amount:
            best, amount = p, d
    return best, amount


def capped_promotion_discount(raw: int, covered: int, other_discounts: int) -> int:
    """A discount ``raw`` lowered so it and ``other_discounts`` stay within MAX_TOTAL_DISCOUNT_PERCENT of
    ``covered`` (never below zero)."""
    room = max(0, covered * MAX_TOTAL_DISCOUNT_PERCENT // 100 - other_discounts)
    return min(raw, room)


def best_multiplier(live: Iterable[Promotion]) -> Promotion | None:
    best = None
    for p in sorted((p for p in live if p.effect.kind == "points_multiplier"), key=_order):
        if best is None or p.effect.factor_percent > best.effect.factor_percent:
            best = p
    return best


# ---- audience ------------------------------------------------------------------------------


def _month_back(d: date) -> str:
    first = d.replace(day=1)
    return (first - timedelta(days=1)).strftime("%Y-%m")


def named_segment(audience: Any) -> str | None:
    """The segment a ``{"segment": <name>}`` audience names (a segmentation run's, docs/segments.md); None for
    the other audiences, ``tier:<name>`` included."""
    if isinstance(audience, dict) and not str(audience.get("segment", "")).startswith(SEGMENT_TIER):
        return str(audience["segment"])
    return None


def in_audience(
    audience: Any, spend_months: dict[str, int], spend_days: dict[str, int], now: datetime, tier_now: str | None = None
) -> bool:
    """Whether a wallet belongs to the audience at ``now``.

    - ``all_balance_payers``: balance was ever spent (``spend_months`` holds a month);
    - ``balance_payers_last_30_days``: a day of ``spend_days`` within the 30 days up to today (UTC) with
      spend; where ``spend_days`` is empty (wallets written before it was kept), spend in the current or
      the previous UTC month stands in for it (up to ~61 days: wider, never narrower);
    - ``{"segment": "tier:<name>"}``: the customer holds that tier now (``tier_now``, computed by the caller);
    - ``{"segment": <name>}`` is not decided here: its members are listed (``named_segment``), not filtered.
    """
    if audience == "all_balance_payers":
        return bool(spend_months)
    if audience == "balance_payers_last_30_days":
        today = now.date()
        if spend_days:
            oldest = (today - timedelta(days=30)).isoformat()
            return any(day >= oldest and amount > 0 for day, amount in spend_days.items())
        months = (today.strftime("%Y-%m"), _month_back(today))
        return any(spend_months.get(m, 0) > 0 for m in months)
    if isinstance(audience, dict) and str(audience.get("segment", "")).startswith(SEGMENT_TIER):
        return tier_now is not None and tier_now == audience["segment"][len(SEGMENT_TIER) :]
    return False


def with_status(p: Promotion, status: str, at: str, **changes: Any) -> Promotion:
    return replace(p, status=status, updated_at=at, version=p.version + 1, **changes)
