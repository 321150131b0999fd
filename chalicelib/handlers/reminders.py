"""The daily reminders job (EventBridge schedule): run-out forecasts and bonus about to expire.

Runs for the schedule's own time (the event's ``time``; a retried invocation keeps it, so it stays in the
same ISO week and reminds nobody twice). See chalicelib.services.reminders for the once-rules.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from chalice import Blueprint

from ..observability import logger, metrics

bp = Blueprint(__name__)


def run_at(event: Any) -> datetime:
    from ..services import clock

    when = getattr(event, "time", None) or (event.get("time") if isinstance(event, dict) else None)
    try:
        return datetime.fromisoformat(str(when).replace("Z", "+00:00")) if when else clock.now()
    except ValueError:
        return clock.now()


def run_reminders(event: Any = None) -> dict[str, Any]:
    from ..config import get_settings
    from ..services.reminders import run_daily
    from .. import bootstrap
    from .lifecycle import delivery

    report = run_daily(bootstrap.store(), delivery(), get_settings().topup_presets, run_at(event))
    metrics.add_metric(
        name="RemindersSent", unit="Count", value=report["run_out"]["notified"] + report["bonus_expiry"]["notified"]
    )
    metrics.add_metric(name="ReminderEmailsFailed", unit="Count", value=report["emails"]["failed"])
    logger.info("reminders run", extra={"report": report})
    metrics.flush_metrics()
    return report


@bp.schedule("cron(0 1 * * ? *)", name="remind")  # 09:00 in China
def remind(event: Any) -> dict[str, Any]:
    return run_reminders(event)
