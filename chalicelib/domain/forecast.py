"""When a customer's balance runs out at their recent pace, and what top-up would carry them a month.

Pure: the caller passes the wallet's ``spend_days`` ({"YYYY-MM-DD": fen spent from the balance that UTC
day}), its spendable total and today's UTC date.

- The window is the 30 UTC days ending today (today included).
- ``daily_spend`` is what was spent in the window divided by the days since the first day with spending in
  it (today included, at most 30): a customer who started a week ago is not diluted over a month. It is
  rounded up to the fen, so a forecast never promises a day too many.
- ``runs_out_on`` is today + floor(balance / daily_spend) days: the first day the balance no longer covers a
  day's spending. None when nothing was spent in the window (no pace, no forecast).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Iterable, Mapping

WINDOW_DAYS = 30


@dataclass(frozen=True)
class Forecast:
    daily_spend: int  # fen per day, rounded up; 0 when nothing was spent in the window
    runs_out_on: date | None

    def as_view(self) -> dict[str, object]:
        return {
            "daily_spend": self.daily_spend,
            "runs_out_on": self.runs_out_on.isoformat() if self.runs_out_on else None,
        }


def forecast(spend_days: Mapping[str, int], balance_total: int, today: date) -> Forecast:
    first = today - timedelta(days=WINDOW_DAYS - 1)
    spent, earliest = 0, None
    for day, amount in spend_days.items():
        try:
            d = date.fromisoformat(day)
        except ValueError:
            continue
        if first <= d <= today and amount > 0:
            spent += amount
            earliest = d if earliest is None or d < earliest else earliest
    if earliest is None:
        return Forecast(0, None)
    days = (today - earliest).days + 1
    daily = -(-spent // days)  # ceiling
    return Forecast(daily, today + timedelta(days=max(balance_total, 0) // daily))


def suggested_topup(fc: Forecast, balance_total: int, presets: Iterable[int]) -> int:
    """The smallest preset that covers the next 30 days of spending beyond the balance, else the largest;
    the middle preset (the lower of the two middle ones for an even count) when nothing was spent.
    0 when there are no presets."""
    options = sorted(set(p for p in presets if p > 0))
    if not options:
        return 0
    if fc.daily_spend <= 0:
        return options[(len(options) - 1) // 2]
    need = WINDOW_DAYS * fc.daily_spend - max(balance_total, 0)
    return next((p for p in options if p >= need), options[-1])
