"""A merchant's rules for paying with balance, and the local calendar they are read in.

Pure: no I/O. The API validates the shape (chalicelib.api.schemas.balance_rules.BalanceRulesRequest);
this module holds the meaning:

- ``min_order_amount``: on the eligible lines; below it balance cannot be used at all.
- ``excluded_skus`` / ``excluded_categories``: those lines are never paid by balance.
- ``partial_pay``: whether a payment may leave an external remainder ("always",
  "never", or "in_windows": only inside one of the windows, in the merchant's
  time zone); ``max_share_percent`` caps the share of the order that balance
  pays in a partial payment (a payment balance covers in full is not partial
  and not capped).
- ``balance_pay_discount``: ``percent`` off the part of the order that balance
  pays for, rounded down to the fen, at most ``max_amount`` (null: no cap).
- ``daily_limit``: the most balance one customer spends at this merchant per
  local calendar day (null: none). Refunds do not give the day's allowance back.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, time as dtime
from typing import Any
from zoneinfo import ZoneInfo

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
PARTIAL_MODES = ("always", "never", "in_windows")


@dataclass(frozen=True)
class Window:
    """Days of the week and a local time range [from, to); ``to`` before ``from`` runs past midnight."""

    days: tuple[str, ...]
    start: dtime
    end: dtime

    def contains(self, local: datetime) -> bool:
        day = DAYS[local.weekday()]
        t = local.time().replace(tzinfo=None)
        if self.start < self.end:
            return day in self.days and self.start <= t < self.end
        # across midnight: the evening belongs to the listed day, the early morning to the day before's window
        yesterday = DAYS[(local.weekday() - 1) % 7]
        return (day in self.days and t >= self.start) or (yesterday in self.days and t < self.end)

    def as_dict(self) -> dict[str, Any]:
        return {"days": list(self.days), "from": self.start.strftime("%H:%M"), "to": self.end.strftime("%H:%M")}


@dataclass(frozen=True)
class PartialPay:
    allowed: str = "always"
    windows: tuple[Window, ...] = ()
    max_share_percent: int = 100

    def allowed_at(self, local: datetime) -> bool:
        if self.allowed == "always":
            return True
        if self.allowed == "never":
            return False
        return any(w.contains(local) for w in self.windows)


@dataclass(frozen=True)
class BalanceRules:
    """A merchant's rules at one ``version`` (0: never set, the defaults)."""

    merchant_id: str
    version: int = 0
    min_order_amount: int = 0
    excluded_skus: frozenset[str] = frozenset()
    excluded_categories: frozenset[str] = frozenset()
    partial_pay: PartialPay = field(default_factory=PartialPay)
    discount_percent: int = 0
    discount_max_amount: int | None = None
    daily_limit: int | None = None
    timezone: str = "Asia/Shanghai"
    updated_at: str | None = None

    def local(self, moment: datetime) -> datetime:
        return moment.astimezone(ZoneInfo(self.timezone))

    def local_day(self, moment: datetime) -> str:
        return self.local(moment).date().isoformat()

    def excludes(self, sku: str, category: str) -> bool:
        return sku in self.excluded_skus or category in self.excluded_categories

    def discount(self, covered: int) -> int:
        """The balance-pay discount on ``covered`` fen of the order paid by balance: floor(covered x percent / 100),
        at most ``discount_max_amount``."""
        d = covered * self.discount_percent // 100
        return d if self.discount_max_amount is None else min(d, self.discount_max_amount)

    def as_view(self) -> dict[str, Any]:
        return {
            "merchant_id": self.merchant_id,
            "version": self.version,
            "min_order_amount": self.min_order_amount,
            "excluded_skus": sorted(self.excluded_skus),
            "excluded_categories": sorted(self.excluded_categories),
            "partial_pay": {
                "allowed": self.partial_pay.allowed,
                "windows": [w.as_dict() for w in self.partial_pay.windows],
                "max_share_percent": self.partial_pay.max_share_percent,
            },
            "balance_pay_discount": {"percent": self.discount_percent, "max_amount": self.discount_max_amount},
            "daily_limit": self.daily_limit,
            "timezone": self.timezone,
            "updated_at": self.updated_at,
        }

    @classmethod
    def from_view(cls, merchant_id: str, data: dict[str, Any], version: int, updated_at: str | None) -> "BalanceRules":
        """From the stored or validated document (``as_view``'s shape)."""
        pp = data.get("partial_pay") or {}
        disc = data.get("balance_pay_discount") or {}
        return cls(
            merchant_id=merchant_id,
            version=version,
            min_order_amount=int(data.get("min_order_amount") or 0),
            excluded_skus=frozenset(data.get("excluded_skus") or ()),
            excluded_categories=frozenset(data.get("excluded_categories") or ()),
            partial_pay=PartialPay(
                allowed=pp.get("allowed", "always"),
                windows=tuple(
                    Window(tuple(w["days"]), dtime.fromisoformat(w["from"]), dtime.fromisoformat(w["to"]))
                    for w in pp.get("windows") or ()
                ),
                max_share_percent=int(pp.get("max_share_percent", 100)),
            ),
            discount_percent=int(disc.get("percent") or 0),
            discount_max_amount=None if disc.get("max_amount") is None else int(disc["max_amount"]),
            daily_limit=None if data.get("daily_limit") is None else int(data["daily_limit"]),
            timezone=data.get("timezone") or "Asia/Shanghai",
            updated_at=updated_at,
        )
