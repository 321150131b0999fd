"""A customer's reminder settings and the rule that makes a low-balance reminder fire once per dip.

Defaults (a wallet that never set them): ``low_balance`` on, ``run_out_days`` off (None),
``bonus_expiry_days`` 3, no e-mail. ``run_out_days`` and ``bonus_expiry_days`` are 1..30 or None (off).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

DEFAULT_BONUS_EXPIRY_DAYS = 3
FIELDS = ("low_balance", "run_out_days", "bonus_expiry_days", "email")


@dataclass(frozen=True)
class ReminderSettings:
    low_balance: bool = True
    run_out_days: int | None = None
    bonus_expiry_days: int | None = DEFAULT_BONUS_EXPIRY_DAYS
    email: str | None = None

    def updated(self, changes: dict[str, Any]) -> "ReminderSettings":
        """These settings with the given fields replaced (a field not given keeps its value)."""
        return replace(self, **{k: v for k, v in changes.items() if k in FIELDS})

    def as_view(self) -> dict[str, Any]:
        return {
            "low_balance": self.low_balance,
            "run_out_days": self.run_out_days,
            "bonus_expiry_days": self.bonus_expiry_days,
            "email": self.email,
        }


def crossed_below(total_before: int, total_after: int, threshold: int) -> bool:
    """A write took the spendable total from at or above the threshold to below it.

    This is the only moment a low-balance reminder fires: staying below does not fire again, and it is
    re-armed only by a write that brings the total back to the threshold or above (so a customer paying
    small amounts below the threshold gets one reminder, not one per payment). A threshold of 0 never fires.
    """
    return threshold > 0 and total_before >= threshold > total_after
