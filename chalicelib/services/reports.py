"""Reports for operators. The liability is read from the ledger (the ledger is its truth: it must equal the
reconciliation's ``totals.held`` at the same moment); the others are analyses of the export
(chalicelib/insight), run by an ``Engine``: Athena on AWS, DuckDB over the export locally."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime
from typing import Any, Iterable, Protocol, Sequence

from ..domain.errors import InvalidRequest
from ..domain.money import Lots
from ..domain.moments import format_time, parse_time

# the ages of outstanding money, in days since it was credited (the bucket's upper bound, None: no bound)
AGE_BUCKETS: tuple[tuple[str, int | None], ...] = (
    ("0-30", 30),
    ("31-90", 90),
    ("91-180", 180),
    ("181-365", 365),
    ("over_365", None),
)
MAX_REPORT_DAYS = 366  # a report's period, at most (an Athena scan is bounded by its days' partitions)


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


def _ints(row: dict[str, Any]) -> dict[str, Any]:
    """Athena answers every value as text; DuckDB as numbers: the report's counts and amounts are integers."""
    return {k: int(v) if k in ("checkouts", "amount", "topup_needed") and v is not None else v for k, v in row.items()}
