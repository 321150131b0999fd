"""The time the use cases run at: one function, so a test can set the clock (local midnights, expiries)."""
from __future__ import annotations

from datetime import datetime, timezone


def now() -> datetime:
    return datetime.now(timezone.utc)
