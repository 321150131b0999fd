"""Instants as the ledger writes them: UTC, ISO 8601 with milliseconds and a ``Z`` (``2026-12-01T08:30:00.000Z``).

The one place that formats and parses them; every stored or answered time goes through here. What time it
is comes from ``chalicelib.services.clock``, never from here.
"""

from __future__ import annotations

from datetime import date, datetime, timezone

from .errors import InvalidRequest

FIRST_DAY, LAST_DAY = date(2000, 1, 1), date(2999, 12, 31)  # the days a query may name


def parse_time(text: str) -> datetime:
    """An instant written by ``format_time`` (or any ISO 8601 text with an offset or ``Z``), in UTC."""
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(timezone.utc)


def format_time(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def parse_day(value: str | None, name: str) -> date | None:
    """A query's UTC day ``YYYY-MM-DD`` (None stays None); 400 ``invalid_date`` for a day the calendar lacks
    or outside FIRST_DAY..LAST_DAY (the document's pattern states the shape and the years)."""
    if value is None:
        return None
    try:
        day = date.fromisoformat(value)
    except ValueError as exc:
        raise InvalidRequest(f"{name} must be a date YYYY-MM-DD", code="invalid_date", field=name) from exc
    if not FIRST_DAY <= day <= LAST_DAY:
        raise InvalidRequest(f"{name} must be a day from {FIRST_DAY} to {LAST_DAY}", code="invalid_date", field=name)
    return day
