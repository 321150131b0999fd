"""Profiles and segments: every customer's RFM figures and scores, behaviour, frequency class, prediction and one
segment, from the export's features (sql/customer_features.sql) and the wallets' balances. Pure: the job
(chalicelib/handlers/segmentation.py) reads, this decides, the store writes.

The rules (docs/segments.md says the same, with the strategy for each):

- R is the days since the last balance payment, F the balance payments of the last WINDOW_DAYS days, M what
  balance paid in them (fen). Each is scored 1-5 among the customers who paid by balance in the window, by
  percentile rank (those beaten plus half the ties): 5 is the most recent, most frequent, largest.
- The first rule that holds names the segment: top_up_and_forget, browsers_not_payers, dormant_balance, then
  the RFM groups (new, champions, loyal, promising, needs_attention, at_risk, almost_lost, dormant), else
  inactive. Frequency class from F: high >= 6 (every other week or more), medium 2-5, low 0-1.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from dataclasses import dataclass, field
from datetime import date
from typing import Any

WINDOW_DAYS = 90
HIGH_FREQUENCY, MEDIUM_FREQUENCY = 6, 2
BROWSER_MIN_VISITS = 5  # logins and browsing events in the window, to count as a browser
FORGOTTEN_AFTER_DAYS = 14  # a top-up this old with no balance payment since
DORMANT_AFTER_DAYS = 30
NEW_WITHIN_DAYS = 30

SEGMENTS: dict[str, tuple[str, str]] = {
    # name -> (who, the suggested strategy)
    "top_up_and_forget": (
        "topped up, holds balance, and has not paid by balance since (14 days or more)",
        "a reminder of the balance with a shop's offer where it can be spent; a short-lived coupon",
    ),
    "browsers_not_payers": (
        "signs in and browses (5 or more times in 90 days) but never paid by balance",
        "a first-payment incentive: a top-up bonus or a balance-pay discount on the first order",
    ),
    "dormant_balance": (
        "holds balance and paid by balance before, but not in the last 30 days",
        "a top-up bonus or a points multiplier to bring the balance back into use",
    ),
    "new": ("first balance payment within 30 days, at most two so far", "welcome: points on the second order"),
    "champions": ("recent, frequent and large balance payers (R, F and M 4 or 5)", "exclusive perks; early access"),
    "loyal": ("frequent balance payers (F 4 or 5, R 3 or more)", "tier upgrades and points multipliers"),
    "promising": ("recent balance payers, not yet frequent (R 4 or 5, F 3 or less)", "a coupon for the next order"),
    "needs_attention": ("balance payers whose last payment is getting old (R 3)", "a limited-time promotion"),
    "at_risk": ("were frequent, have not paid for a while (R 1 or 2, F 3 or more)", "an exclusive coupon, now"),
    "almost_lost": ("paid rarely and not recently (R 2, F 2 or less)", "a win-back top-up bonus"),
    "dormant": ("paid by balance before, not in the last 90 days or only long ago (R 1)", "a win-back campaign"),
    "inactive": ("no balance payment, little browsing, no balance", "nothing targeted; general marketing only"),
}


@dataclass(frozen=True)
class Features:
    user_id: str
    first_payment_day: str | None = None
    last_payment_day: str | None = None
    payment_days: int = 0
    payments: int = 0
    frequency: int = 0
    monetary: int = 0
    spent: int = 0
    logins: int = 0
    browses: int = 0
    topups: int = 0
    last_topup_day: str | None = None
    rating_sum: int = 0
    ratings: int = 0
    categories: tuple[str, ...] = ()
    balance: int = 0  # the wallet's total, available and on hold (the ledger's)

    @classmethod
    def of(cls, row: dict[str, Any], categories: tuple[str, ...] = (), balance: int = 0) -> "Features":
        ints: dict[str, Any] = {
            k: int(row.get(k) or 0)
            for k in (
                "payment_days",
                "payments",
                "frequency",
                "monetary",
                "spent",
                "logins",
                "browses",
                "topups",
                "rating_sum",
                "ratings",
            )
        }
        days: dict[str, Any] = {k: row.get(k) for k in ("first_payment_day", "last_payment_day", "last_topup_day")}
        return cls(user_id=str(row["user_id"]), categories=categories, balance=balance, **ints, **days)


@dataclass(frozen=True)
class Profile:
    user_id: str
    segment: str
    frequency_class: str
    recency_days: int | None
    frequency: int
    monetary: int
    r_score: int | None
    f_score: int | None
    m_score: int | None
    logins: int
    browses: int
    topups: int
    last_topup_day: str | None
    balance_share_percent: int | None  # of what the window's balance payments' orders cost, what balance paid
    top_categories: tuple[str, ...]
    average_rating: float | None
    balance: int
    prediction: dict[str, Any] | None = None
    prediction_reason: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "user_id": self.user_id,
            "segment": self.segment,
            "frequency_class": self.frequency_class,
            "rfm": None
            if self.r_score is None
            else {
                "recency_days": self.recency_days,
                "frequency": self.frequency,
                "monetary": self.monetary,
                "r_score": self.r_score,
                "f_score": self.f_score,
                "m_score": self.m_score,
            },
            "recency_days": self.recency_days,
            "logins": self.logins,
            "browses": self.browses,
            "topups": self.topups,
            "last_topup_day": self.last_topup_day,
            "balance_share_percent": self.balance_share_percent,
            "top_categories": list(self.top_categories),
            "average_rating": self.average_rating,
            "balance": self.balance,
            "prediction": self.prediction,
            "prediction_reason": self.prediction_reason,
        }


def days_between(earlier: str, later: date) -> int:
    return (later - date.fromisoformat(earlier)).days


def score(value: float, population: list[float], higher_is_better: bool = True) -> int:
    """1-5 by ``value``'s percentile rank in the population (those it beats, and half of those it ties with):
    ties share a score, and a lone customer, or a population all alike, scores 3."""
    return Scale(population, higher_is_better).score(value)


class Scale:
    """``score`` for many values against one population: sorted once, each value placed by bisection."""

    def __init__(self, population: list[float], higher_is_better: bool = True) -> None:
        self.sorted, self.n, self.higher = sorted(population), len(population), higher_is_better

    def score(self, value: float) -> int:
        lower, upper = bisect_left(self.sorted, value), bisect_right(self.sorted, value)
        below = lower if self.higher else self.n - upper
        return 1 + min(4, int(5 * (below + (upper - lower) / 2) / self.n))


def frequency_class(frequency: int) -> str:
    return "high" if frequency >= HIGH_FREQUENCY else "medium" if frequency >= MEDIUM_FREQUENCY else "low"


def segment_of(f: Features, recency: int | None, r: int | None, fs: int | None, m: int | None, as_of: date) -> str:
    never_paid = f.payments == 0
    if (
        f.topups
        and f.balance > 0
        and f.last_topup_day
        and days_between(f.last_topup_day, as_of) >= FORGOTTEN_AFTER_DAYS
    ):
        if f.last_payment_day is None or f.last_payment_day < f.last_topup_day:
            return "top_up_and_forget"
    if never_paid:
        return "browsers_not_payers" if f.logins + f.browses >= BROWSER_MIN_VISITS else "inactive"
    if recency is None or (f.balance > 0 and recency > DORMANT_AFTER_DAYS):
        return "dormant_balance"
    if r is None or fs is None or m is None:  # paid, but not in the window
        return "dormant"
    if f.first_payment_day and days_between(f.first_payment_day, as_of) <= NEW_WITHIN_DAYS and f.payments <= 2:
        return "new"
    if r >= 4 and fs >= 4 and m >= 4:
        return "champions"
    if fs >= 4 and r >= 3:
        return "loyal"
    if r >= 4:
        return "promising"
    if r == 3:
        return "needs_attention"
    if fs >= 3:
        return "at_risk"
    if r == 2:
        return "almost_lost"
    return "dormant"


def profiles(features: list[Features], as_of: date) -> list[Profile]:
    """Every customer's profile, scored against the customers who paid by balance in the window."""
    paying = [f for f in features if f.frequency > 0]
    by_recency = Scale([float(days_between(f.last_payment_day, as_of)) for f in paying if f.last_payment_day], False)
    by_frequency = Scale([float(f.frequency) for f in paying])
    by_monetary = Scale([float(f.monetary) for f in paying])
    out = []
    for f in features:
        recency = days_between(f.last_payment_day, as_of) if f.last_payment_day else None
        r: int | None
        fs: int | None
        m: int | None
        if f.frequency > 0 and recency is not None:
            r = by_recency.score(recency)
            fs, m = by_frequency.score(f.frequency), by_monetary.score(f.monetary)
        else:
            r = fs = m = None
        out.append(
            Profile(
                user_id=f.user_id,
                segment=segment_of(f, recency, r, fs, m, as_of),
                frequency_class=frequency_class(f.frequency),
                recency_days=recency,
                frequency=f.frequency,
                monetary=f.monetary,
                r_score=r,
                f_score=fs,
                m_score=m,
                logins=f.logins,
                browses=f.browses,
                topups=f.topups,
                last_topup_day=f.last_topup_day,
                balance_share_percent=(100 * f.monetary) // f.spent if f.spent else None,
                top_categories=f.categories[:3],
                average_rating=round(f.rating_sum / f.ratings, 2) if f.ratings else None,
                balance=f.balance,
            )
        )
    return out
