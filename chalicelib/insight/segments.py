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

A run decides for every customer at once: the features are columns (one numpy array each, a customer's
position the same in all), and the scores and the rules are written over whole columns (``scores``,
``segments``), so a million customers cost a few array operations, not a million Python calls. numpy is
imported where it is used: the API imports this module for SEGMENTS and never loads numpy.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any, Iterable, Iterator, Mapping

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
SEGMENT_NAMES = tuple(SEGMENTS)  # a segment's code in the columns is its position here
FREQUENCY_CLASSES = ("high", "medium", "low")

COUNTS = (
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
DAYS = ("first_payment_day", "last_payment_day", "last_topup_day")
TOP_CATEGORIES = 3


@dataclass(frozen=True)
class Customers:
    """Every customer's features, one numpy array per feature: the customer at position i in every one.
    Days are ``datetime64[D]`` (NaT: none), counts and amounts ``int64``."""

    user_id: Any  # str objects
    first_payment_day: Any
    last_payment_day: Any
    payment_days: Any
    payments: Any
    frequency: Any
    monetary: Any
    spent: Any
    logins: Any
    browses: Any
    topups: Any
    last_topup_day: Any
    rating_sum: Any
    ratings: Any
    top_categories: Any  # (customers, 3) str objects: the most seen first, None past the last one
    balance: Any  # the wallet's total, available and on hold (the ledger's)

    def __len__(self) -> int:
        return len(self.user_id)

    @classmethod
    def of(
        cls,
        features: Mapping[str, Any],
        categories: Mapping[str, Any] | None = None,
        held: Mapping[str, int] | None = None,
        known: Iterable[str] = (),
    ) -> "Customers":
        """From the analyses' columns (customer_features.sql; customer_categories.sql, a customer's rows most
        seen first): numpy arrays (masked where NULL) or lists of values, a missing value none or 0. Then the
        wallets holding money whose customer the export never saw (``held``, by user id), and the customers of
        ``known`` (an earlier run's profiles) that neither names, with nothing seen (their balance, if any, is
        the ledger's), in user id order: they still owe it, or still have a profile, so they are customers."""
        import numpy as np

        held = held or {}
        users = np.asarray(features.get("user_id", []), dtype=object)
        n = len(users)
        position = {u: i for i, u in enumerate(users.tolist())}
        top = np.full((n, TOP_CATEGORIES), None, dtype=object)
        if categories:
            _place(top, position, categories)
        unseen = {u for u, b in held.items() if b > 0} | set(known)
        wallets = sorted((u, held.get(u, 0)) for u in unseen if u not in position)
        extra = len(wallets)
        columns: dict[str, Any] = {}
        for name in DAYS:
            columns[name] = np.concatenate([_days(features.get(name, []), n), np.full(extra, "NaT", "datetime64[D]")])
        for name in COUNTS:
            columns[name] = np.concatenate([_counts(features.get(name, []), n), np.zeros(extra, np.int64)])
        balance = np.fromiter((held.get(u, 0) for u in users.tolist()), np.int64, n)
        return cls(
            user_id=np.concatenate([users, np.array([u for u, _ in wallets], dtype=object)]),
            top_categories=np.concatenate([top, np.full((extra, TOP_CATEGORIES), None, dtype=object)]),
            balance=np.concatenate([balance, np.array([b for _, b in wallets], dtype=np.int64)]),
            **columns,
        )


def _days(values: Any, n: int) -> Any:
    import numpy as np

    if isinstance(values, np.ma.MaskedArray):
        values = values.filled(np.datetime64("NaT"))
    if isinstance(values, np.ndarray) and values.dtype.kind == "M":
        return values.astype("datetime64[D]")
    return np.array([v or None for v in values] if n else [], dtype="datetime64[D]")  # ISO texts or dates


def _counts(values: Any, n: int) -> Any:
    import numpy as np

    if isinstance(values, np.ma.MaskedArray):
        values = values.filled(0)
    if isinstance(values, np.ndarray) and values.dtype.kind in "iu":
        return values.astype(np.int64)
    return np.fromiter((int(v or 0) for v in values), np.int64, n)


def _place(top: Any, position: dict[str, int], categories: Mapping[str, Any]) -> None:
    """Each customer's categories into their row of ``top``, in the order the analysis gave them."""
    import numpy as np

    users = np.asarray(categories.get("user_id", []), dtype=object)
    if not len(users):
        return
    names = np.asarray(categories["category"], dtype=object)
    starts = np.flatnonzero(np.r_[True, users[1:] != users[:-1]])  # where each customer's rows begin
    group = np.repeat(np.arange(len(starts)), np.diff(np.r_[starts, len(users)]))
    place = np.arange(len(users)) - starts[group]
    row = np.array([position.get(u, -1) for u in users[starts].tolist()], dtype=np.int64)[group]
    keep = (row >= 0) & (place < TOP_CATEGORIES)
    top[row[keep], place[keep]] = names[keep]


def scores(values: Any, population: Any, higher_is_better: bool = True) -> Any:
    """1-5 for each value by its percentile rank in the population (those it beats, and half of those it ties
    with): ties share a score, and a lone customer, or a population all alike, scores 3. The population is
    sorted once and each value placed in it by binary search."""
    import numpy as np

    ranked = np.sort(np.asarray(population))
    values = np.asarray(values)
    n = len(ranked)
    if n == 0 and len(values):
        raise ValueError("no population to score against")
    lower, upper = np.searchsorted(ranked, values, "left"), np.searchsorted(ranked, values, "right")
    below = lower if higher_is_better else n - upper
    return 1 + np.minimum(4, (5 * (below + (upper - lower) / 2) / max(n, 1)).astype(np.int64))


def score(value: float, population: list[float], higher_is_better: bool = True) -> int:
    """``scores`` of one value."""
    return int(scores([value], population, higher_is_better)[0])


def days_since(days: Any, as_of: date) -> Any:
    """Whole days from each day to ``as_of`` (0 where there is no day)."""
    import numpy as np

    known = ~np.isnat(days)
    return np.where(known, (np.datetime64(as_of, "D") - days).astype(np.int64), 0)


def segments(c: Customers, as_of: date, recency: Any, paid: Any, scored: Any, r: Any, f: Any, m: Any) -> Any:
    """Each customer's segment (its code in SEGMENT_NAMES): the first rule that holds. ``paid``: a last balance
    payment is known (``recency`` days ago); ``scored``: R, F and M were scored (``r``, ``f``, ``m``; any value
    where not)."""
    import numpy as np

    never_paid = c.payments == 0
    topped_up = ~np.isnat(c.last_topup_day)
    none_since = np.isnat(c.last_payment_day) | (c.last_payment_day < c.last_topup_day)
    first_paid = ~np.isnat(c.first_payment_day)
    rules = (
        (
            "top_up_and_forget",
            (c.topups != 0)
            & (c.balance > 0)
            & topped_up
            & (days_since(c.last_topup_day, as_of) >= FORGOTTEN_AFTER_DAYS)
            & none_since,
        ),
        ("browsers_not_payers", never_paid & (c.logins + c.browses >= BROWSER_MIN_VISITS)),
        ("inactive", never_paid),
        ("dormant_balance", ~paid | ((c.balance > 0) & (recency > DORMANT_AFTER_DAYS))),
        ("dormant", ~scored),  # paid, but not in the window
        ("new", first_paid & (days_since(c.first_payment_day, as_of) <= NEW_WITHIN_DAYS) & (c.payments <= 2)),
        ("champions", (r >= 4) & (f >= 4) & (m >= 4)),
        ("loyal", (f >= 4) & (r >= 3)),
        ("promising", r >= 4),
        ("needs_attention", r == 3),
        ("at_risk", f >= 3),
        ("almost_lost", r == 2),
    )
    codes = [SEGMENT_NAMES.index(name) for name, _ in rules]
    return np.select([holds for _, holds in rules], codes, SEGMENT_NAMES.index("dormant"))


def frequency_classes(frequency: Any) -> Any:
    """Each F's class, as its code in FREQUENCY_CLASSES."""
    import numpy as np

    return np.select([frequency >= HIGH_FREQUENCY, frequency >= MEDIUM_FREQUENCY], [0, 1], 2)


@dataclass(frozen=True)
class Profiles:
    """Every customer's profile, as columns at the customers' positions."""

    customers: Customers
    recency_days: Any  # int64; where ``paid``
    paid: Any  # a last balance payment is known
    scored: Any  # paid by balance in the window: R, F and M scored
    r_score: Any  # int64; where ``scored``
    f_score: Any
    m_score: Any
    segment: Any  # codes in SEGMENT_NAMES
    frequency_class: Any  # codes in FREQUENCY_CLASSES

    def __len__(self) -> int:
        return len(self.customers)

    def as_dicts(self, batch: int = 10_000) -> Iterator[dict[str, Any]]:
        """Each customer's profile as the store keeps it (``prediction`` and its reason still None), made a
        batch at a time: a million customers are never a million dicts at once."""
        c = self.customers
        for start in range(0, len(c), batch):
            part = slice(start, start + batch)
            rows = zip(
                c.user_id[part].tolist(),
                self.segment[part].tolist(),
                self.frequency_class[part].tolist(),
                self.paid[part].tolist(),
                self.recency_days[part].tolist(),
                self.scored[part].tolist(),
                self.r_score[part].tolist(),
                self.f_score[part].tolist(),
                self.m_score[part].tolist(),
                c.frequency[part].tolist(),
                c.monetary[part].tolist(),
                c.spent[part].tolist(),
                c.logins[part].tolist(),
                c.browses[part].tolist(),
                c.topups[part].tolist(),
                c.last_topup_day[part].tolist(),
                c.top_categories[part].tolist(),
                c.rating_sum[part].tolist(),
                c.ratings[part].tolist(),
                c.balance[part].tolist(),
            )
            for user, seg, fclass, paid, recency, scored, r, f, m, freq, monetary, spent, *rest in rows:
                logins, browses, topups, topup_day, top, rating_sum, ratings, balance = rest
                recency_days = recency if paid else None
                yield {
                    "user_id": user,
                    "segment": SEGMENT_NAMES[seg],
                    "frequency_class": FREQUENCY_CLASSES[fclass],
                    "rfm": {
                        "recency_days": recency_days,
                        "frequency": freq,
                        "monetary": monetary,
                        "r_score": r,
                        "f_score": f,
                        "m_score": m,
                    }
                    if scored
                    else None,
                    "recency_days": recency_days,
                    "logins": logins,
                    "browses": browses,
                    "topups": topups,
                    "last_topup_day": topup_day.isoformat() if topup_day else None,
                    # of what the window's balance payments' orders cost, what balance paid
                    "balance_share_percent": (100 * monetary) // spent if spent else None,
                    "top_categories": [t for t in top if t is not None],
                    "average_rating": round(rating_sum / ratings, 2) if ratings else None,
                    "balance": balance,
                    "prediction": None,
                    "prediction_reason": None,
                }


def profiles(customers: Customers, as_of: date) -> Profiles:
    """Every customer's profile, scored against the customers who paid by balance in the window."""
    import numpy as np

    c = customers
    paid = ~np.isnat(c.last_payment_day)
    recency = days_since(c.last_payment_day, as_of)
    paying = c.frequency > 0
    scored = paying & paid
    r, f, m = (np.zeros(len(c), np.int64) for _ in range(3))
    r[scored] = scores(recency[scored], recency[scored], higher_is_better=False)
    f[scored] = scores(c.frequency[scored], c.frequency[paying])
    m[scored] = scores(c.monetary[scored], c.monetary[paying])
    return Profiles(
        customers=c,
        recency_days=recency,
        paid=paid,
        scored=scored,
        r_score=r,
        f_score=f,
        m_score=m,
        segment=segments(c, as_of, recency, paid, scored, r, f, m),
        frequency_class=frequency_classes(c.frequency),
    )
