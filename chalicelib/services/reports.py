"""Reports for operators. The liability and the segment sizes are read from the ledger (the ledger is their
truth: the liability must equal the reconciliation's ``totals.held`` at the same moment; the segment sizes are
what the segmentation runs wrote); the others are analyses of the export (chalicelib/insight), run by an
``Engine``: Athena on AWS, DuckDB over the export locally. Counts and amounts are integers; a share or a rate
is in basis points (1/10,000: 6,250 is 62.5 %), rounded down."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, timedelta
from typing import Any, Iterable, Protocol, Sequence

from ..domain.errors import InvalidRequest
from ..domain.money import Lots
from ..domain.moments import format_time, parse_time
from ..insight.segments import SEGMENTS
from .ports import ProfileStore

# the ages of outstanding money, in days since it was credited (the bucket's upper bound, None: no bound)
AGE_BUCKETS: tuple[tuple[str, int | None], ...] = (
    ("0-30", 30),
    ("31-90", 90),
    ("91-180", 180),
    ("181-365", 365),
    ("over_365", None),
)
MAX_REPORT_DAYS = 366  # a report's period, at most (an Athena scan is bounded by its days' partitions)
# how far before a feedback report's period its segment events are read: the segment a customer was in at a
# rating is their last segment event before it (a customer whose segment did not change in that time and
# the period counts as "none")
SEGMENT_LOOKBACK_DAYS = 366
BASIS_POINTS = 10_000


class Engine(Protocol):
    """Runs one analysis (chalicelib/insight/sql/<name>.sql) with its ``?`` parameters."""

    def run(self, name: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]: ...


def _bucket(credited_at: str, today: date) -> str:
    age = (today - parse_time(credited_at).date()).days
    return next(name for name, upper in AGE_BUCKETS if upper is None or age <= upper)


def _ages(outstanding: int, credits: list[tuple[str, int]], today: date) -> dict[str, int]:
    """Outstanding money of one lot by age, first in first out: what is left is the newest credits'."""
    out: dict[str, int] = defaultdict(int)
    for credited_at, amount in reversed(credits):  # newest first
        if outstanding <= 0:
            break
        take = min(amount, outstanding)
        out[_bucket(credited_at, today)] += take
        outstanding -= take
    if outstanding > 0:  # more than the credits (a reconciliation mismatch): the oldest bucket holds it
        out[AGE_BUCKETS[-1][0]] += outstanding
    return out


def liability(ledger: Iterable[tuple[Any, ...]], now: datetime) -> dict[str, Any]:
    """What the platform owes its customers now: every wallet's cash and bonus, available and on hold.

    - ``total``: the sum (the reconciliation's ``totals.held`` over the same scan).
    - ``by_age``: each lot's outstanding money by the age of the credits it is left from, first in first out
      (a payment spends the oldest money of a lot first): buckets AGE_BUCKETS.
    - ``by_expiry``: bonus by its grants' expiry month (``YYYY-MM``), ``never`` for cash and for bonus that
      does not expire, ``on_hold`` for money held by authorizations (its grants are decided at capture).
    """
    today = now.date()
    total = Lots()
    ages: dict[str, dict[str, int]] = {name: {"cash": 0, "bonus": 0} for name, _ in AGE_BUCKETS}
    expiry: dict[str, Lots] = defaultdict(Lots)
    wallets = 0
    for _user_id, wallet, entries, *_rest in ledger:
        if wallet is None:
            continue
        wallets += 1
        owed = wallet.lots + wallet.held
        total = total + owed
        for lot in ("cash", "bonus"):
            credits = [
                (e.created_at, moved)
                for e in entries
                if (moved := getattr(e.delta, lot) + getattr(e.held_delta, lot)) > 0
            ]
            for name, amount in _ages(getattr(owed, lot), credits, today).items():
                ages[name][lot] += amount
        granted = 0
        for g in wallet.bonus_grants:
            expiry[g.expires_at[:7] if g.expires_at else "never"] += Lots(0, g.amount)
            granted += g.amount
        expiry["never"] += Lots(wallet.lots.cash, wallet.lots.bonus - granted)
        expiry["on_hold"] += wallet.held
    return {
        "at": format_time(now),
        "wallets": wallets,
        "total": total.as_balance(),
        "by_age": [{"age_days": name, **Lots(**ages[name]).as_balance()} for name, _ in AGE_BUCKETS],
        "by_expiry": [
            {"expires": key, **lots.as_balance()}
            for key, lots in sorted(expiry.items(), key=lambda kv: (kv[0] in ("never", "on_hold"), kv[0]))
            if lots.total
        ],
    }


def period(start: date, end: date) -> tuple[str, str]:
    """A report's days, both included, as the export's ``dt`` values; refused when reversed or too long."""
    if end < start:
        raise InvalidRequest("to is before from", code="invalid_date_range", field="to")
    if (end - start).days + 1 > MAX_REPORT_DAYS:
        raise InvalidRequest(f"a report covers at most {MAX_REPORT_DAYS} days", code="invalid_date_range", field="to")
    return start.isoformat(), end.isoformat()


def obstacles(engine: Engine, start: date, end: date, merchant_id: str | None = None) -> dict[str, Any]:
    """What kept the period's checkouts from being paid by balance (chalicelib/insight/sql/obstacles.sql)."""
    rows = engine.run("obstacles", period(start, end))
    if merchant_id is not None:
        rows = [r for r in rows if r["merchant_id"] == merchant_id]
    return {"from": start.isoformat(), "to": end.isoformat(), "rows": [_ints(r) for r in rows]}


def _ints(row: dict[str, Any], names: Iterable[str] = ("checkouts", "amount", "topup_needed")) -> dict[str, Any]:
    """Athena answers every value as text; DuckDB as numbers: the report's counts and amounts are integers
    (a sum over no row is 0)."""
    wanted = set(names)
    return {k: (int(v) if v is not None else 0) if k in wanted else v for k, v in row.items()}


def _share(part: int, whole: int) -> int | None:
    """``part`` of ``whole`` in basis points, rounded down; None when the whole is 0."""
    return part * BASIS_POINTS // whole if whole else None


def months(start: date, end: date) -> list[str]:
    """Every ``YYYY-MM`` the days ``start``..``end`` touch."""
    out, year, month = [], start.year, start.month
    while (year, month) <= (end.year, end.month):
        out.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return out


def breakage(engine: Engine, start: date, end: date) -> dict[str, Any]:
    """Bonus that expired unused, by the month it expired (chalicelib/insight/sql/breakage.sql).

    Per month of the period (every month it touches, in order; a month the period cuts counts only the
    period's days): ``expired``, the bonus ``bonus.expired`` took out of wallets; ``customers``, whose bonus
    expired; ``granted``, the bonus ``topup.credited`` put in (a top-up plan's bonus: the only bonus that
    expires); ``breakage_bp``, expired / granted of the same month in basis points (null when nothing was
    granted; above 10,000 when more expired than was granted, since what expires was granted months
    before). ``total``: the same over the period (``customers`` counted once each).
    """
    names = ("expired", "customers", "granted")
    rows = [_ints(r, names) for r in engine.run("breakage", period(start, end))]
    found = {r["month"]: r for r in rows if r["month"] is not None}
    total = next((r for r in rows if r["month"] is None), dict.fromkeys(names, 0))

    def figures(r: dict[str, Any]) -> dict[str, Any]:
        return {**{n: r.get(n, 0) for n in names}, "breakage_bp": _share(r.get("expired", 0), r.get("granted", 0))}

    return {
        "from": start.isoformat(),
        "to": end.isoformat(),
        "months": [{"month": m, **figures(found.get(m, {}))} for m in sorted(set(months(start, end)) | set(found))],
        "total": figures(total),
    }


def _sales(r: dict[str, Any]) -> dict[str, Any]:
    paid = Lots(r["cash"], r["bonus"])
    refunded = Lots(r["refunded_cash"], r["refunded_bonus"])
    net = paid - refunded
    return {
        "payments": r["payments"],
        "sales": r["sales"],
        "external": r["external"],
        "balance_paid": paid.as_balance(),
        "refunds": r["refunds"],
        "refunded": refunded.as_balance(),
        "net": net.as_balance(),
        "share_bp": _share(net.total, r["sales"]),
    }


SALES = ("payments", "sales", "external", "cash", "bonus", "refunds", "refunded_cash", "refunded_bonus")


def balance_share(engine: Engine, start: date, end: date, merchant_id: str | None = None) -> dict[str, Any]:
    """The share of sales balance paid, per merchant and day (chalicelib/insight/sql/balance_share.sql).

    - ``sales``: the ``amount`` of the day's payments (``payment.succeeded``: paid at once, or captured), i.e.
      what the orders cost as the merchant's checkout priced their lines, before the balance-pay discounts,
      a coupon and points, and including ``external``, the part the customer paid outside the wallet. An
      order balance paid nothing of has no payment here (a checkout no payment followed, paid elsewhere or
      abandoned: the obstacles report counts those), so these are the sales balance took part in.
    - ``balance_paid``: what the wallets paid of them, cash and bonus; ``refunded``: what the day's refunds
      (``payment.refunded``, on the refund's own day, whatever day it paid) gave back, by lot;
      ``net``: balance_paid less refunded (negative on a day whose refunds exceed its payments).
    - ``share_bp``: net.total / sales in basis points, rounded down; null on a day without sales.
    - ``total``: the same over every row answered. Each event counts once (deduped on its ``event_id``).
    """
    rows = [_ints(r, SALES) for r in engine.run("balance_share", period(start, end))]
    if merchant_id is not None:
        rows = [r for r in rows if r["merchant_id"] == merchant_id]
    total = {n: sum(r[n] for r in rows) for n in SALES}
    return {
        "from": start.isoformat(),
        "to": end.isoformat(),
        "rows": [{"merchant_id": r["merchant_id"], "day": r["day"], **_sales(r)} for r in rows],
        "total": _sales(total),
    }


def _runs_since(store: ProfileStore, start: date) -> list[dict[str, Any]]:
    """Every segmentation run for a day from ``start`` on, newest first (and perhaps some older). Runs are read
    newest first (by id: when they were asked for), twice as many each time, until one started before
    ``start`` or none is left: a run's ``as_of`` is never after the day it was asked for, nor that after the
    day it started."""
    limit = 64
    while True:
        runs = store.latest_runs(limit)
        oldest = str(runs[-1].get("started_at") or "") if runs else ""
        if len(runs) < limit or (oldest and oldest[:10] < start.isoformat()):
            return runs
        limit *= 2


def segment_sizes(store: ProfileStore, start: date, end: date) -> dict[str, Any]:
    """Segment sizes over time, from the ledger (the runs' own summaries, ``SEGRUN / {run_id}``: the ledger is
    their truth; no analysis of the export): per day of the period, the last succeeded segmentation run of that
    day (its ``summary.as_of``; the one asked for last when a day had several) and each segment's size then, every
    documented segment named (0 where empty). A day no run was for has ``run_id`` null and no sizes."""
    period(start, end)
    last: dict[str, dict[str, Any]] = {}
    for run in _runs_since(store, start):  # newest first: the first run seen for a day is its last
        as_of = str((run.get("summary") or {}).get("as_of") or run.get("as_of") or "")
        if run.get("state") == "succeeded" and start.isoformat() <= as_of <= end.isoformat():
            last.setdefault(as_of, run)
    days: list[dict[str, Any]] = []
    for i in range((end - start).days + 1):
        day = (start + timedelta(days=i)).isoformat()
        found = last.get(day)
        if found is None:
            days.append({"day": day, "run_id": None, "finished_at": None, "sizes": {}})
            continue
        sizes = (found.get("summary") or {}).get("segments") or {}
        days.append(
            {
                "day": day,
                "run_id": found["run_id"],
                "finished_at": found.get("finished_at"),
                "sizes": {name: int((sizes.get(name) or {}).get("size", 0)) for name in SEGMENTS},
            }
        )
    return {"from": start.isoformat(), "to": end.isoformat(), "days": days}


def feedback_reads_from(start: date) -> date:
    """The first day of the export a feedback report over a period from ``start`` reads (its segment events)."""
    return start - timedelta(days=SEGMENT_LOOKBACK_DAYS)


RATINGS = ("ratings", "rating_sum", "r1", "r2", "r3", "r4", "r5")


def _ratings(r: dict[str, Any]) -> dict[str, Any]:
    return {
        "ratings": r["ratings"],
        "average": round(r["rating_sum"] / r["ratings"], 2) if r["ratings"] else None,
        "distribution": {str(k): r[f"r{k}"] for k in range(1, 6)},
    }


def feedback(engine: Engine, start: date, end: date) -> dict[str, Any]:
    """The ratings of the period (``feedback.submitted``; chalicelib/insight/sql/feedback_ratings.sql): count,
    average (2 decimals) and how many of each rating 1..5, overall (``total``), ``by_segment`` (the segment the
    customer was in when they rated: their last ``segment.entered`` at or before it, read from
    SEGMENT_LOOKBACK_DAYS before the period; ``none`` when never segmented) and ``by_tag`` (a rating counts
    under each of its tags; a rating without tags under none: ``total`` has it)."""
    days = period(start, end)
    rows = [
        _ints(r, RATINGS)
        for r in engine.run("feedback_ratings", (feedback_reads_from(start).isoformat(), days[1], days[0]))
    ]
    total = next((r for r in rows if r["dimension"] == "all"), dict.fromkeys(RATINGS, 0))
    return {
        "from": days[0],
        "to": days[1],
        "total": _ratings(total),
        "by_segment": [{"segment": r["name"], **_ratings(r)} for r in rows if r["dimension"] == "segment"],
        "by_tag": [{"tag": r["name"], **_ratings(r)} for r in rows if r["dimension"] == "tag"],
    }
