"""A campaign's measurement: the one SQL analysis over the export (``campaign_outcomes``) for its members'
balance payments before and after the run, then the statistics (insight/uplift.py) for treated against holdout.

The windows: the run's moment ``t`` (when it started), the period after it ``[t, t + measure_days)`` and the
customer's own pre-period of the same length ``[t - measure_days, t)`` (CUPED's covariate). A measurement taken
before the window has closed says so (``window.complete`` false): its figures cover the days so far.
Every member the run assigned counts, in the group it was assigned (intention to treat), whatever segment
they are in now; a member with no balance payment counts as zero.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta
from typing import Any, Callable

from ..domain.campaigns import Campaign
from ..domain.moments import format_time, parse_time
from ..observability import logger
from . import clock
from .ports import Campaigns


def windows(c: Campaign, now: datetime) -> dict[str, Any]:
    t = parse_time(c.started_at or c.run_at)
    end = t + timedelta(days=c.measure_days)
    return {
        "pre_from": format_time(t - timedelta(days=c.measure_days)),
        "from": format_time(t),
        "to": format_time(end),
        "measured_to": format_time(min(end, now)),
        "complete": now >= end,
    }


def measure(analytics: Callable[[date, date], Any], campaigns: Campaigns, campaign_id: str) -> dict[str, Any]:
    """Claim the queued measurement (queued -> running, conditioned on the version), compute it, record it.
    A measurement that is not queued (a redelivery after it ran) is left as it is."""
    from ..insight import uplift

    c = campaigns.get_campaign(campaign_id)
    if c is None or c.measurement.get("state") != "queued":
        return {"campaign_id": campaign_id, "state": None if c is None else c.measurement.get("state")}
    now = clock.now()
    running = replace(
        c,
        version=c.version + 1,
        updated_at=format_time(now),
        measurement={**c.measurement, "state": "running", "started_at": format_time(now)},
    )
    if not campaigns.update_campaign(c, running):
        return {"campaign_id": campaign_id, "state": "claimed_elsewhere"}
    w = windows(running, now)
    try:
        engine = analytics(parse_time(w["pre_from"]).date(), parse_time(w["measured_to"]).date())
        params = (w["pre_from"][:10], w["measured_to"][:10], w["pre_from"], w["from"], w["measured_to"], "")
        rows = engine.run("campaign_outcomes", params)  # "": every merchant's payments
        members = [(m["user_id"], m["group"]) for m in campaigns.memberships(campaign_id)]
        result: dict[str, Any] = {"state": "succeeded", "window": w, **uplift.measure(members, rows)}
    except Exception as exc:
        logger.exception("campaign measurement failed", extra={"campaign_id": campaign_id})
        result = {"state": "failed", "window": w, "error": type(exc).__name__}
    done_at = clock.now()
    result = {**result, "requested_at": c.measurement.get("requested_at"), "measured_at": format_time(done_at)}
    latest = running
    for _ in range(5):  # the run may still be writing its progress: record on the version read
        after = replace(latest, version=latest.version + 1, updated_at=format_time(done_at), measurement=result)
        if campaigns.update_campaign(latest, after):
            break
        fresh = campaigns.get_campaign(campaign_id)
        if fresh is None:
            break
        latest = fresh
    return {"campaign_id": campaign_id, **result}
