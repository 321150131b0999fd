"""Run-out forecast from recent balance spending (placeholder until the reminders work lands)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta


@dataclass(frozen=True)
class Forecast:
    daily_spend: int
    runs_out_on: date | None


def forecast(spend_days: dict[str, int], balance_total: int, today: date) -> Forecast:
    oldest = (today - timedelta(days=30)).isoformat()
    spent = sum(v for d, v in spend_days.items() if d > oldest)
    daily = -(-spent // 30)
    return Forecast(daily, today + timedelta(days=balance_total // daily) if daily else None)


def suggested_topup(f: Forecast, balance_total: int, presets: tuple[int, ...]) -> int:
    if not f.daily_spend:
        return sorted(presets)[len(presets) // 2]
    need = f.daily_spend * 30 - balance_total
    return next((p for p in sorted(presets) if p >= need), max(presets))
