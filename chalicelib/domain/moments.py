"""Instants as the ledger writes them: UTC, ISO 8601 with milliseconds and a ``Z`` (``2026-12-01T08:30:00.000Z``).

The one place that formats and parses them; every stored or answered time goes through here. What time it
is comes from ``chalicelib.services.clock``, never from here.
"""

from __future__ import annotations

from datetime import datetime, timezone


def parse_time(text: str) -> datetime:
    """An instant written by ``format_time`` (or any ISO 8601 text with an offset or ``Z``), in UTC."""
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(timezone.utc)


def format_time(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")
