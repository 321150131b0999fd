"""Campaigns: what their schedules start, and the measuring job.

A campaign's two schedules invoke the scheduled function (``promotions``: the one the scheduler role may invoke)
with ``{"campaign_id", "action": "run" | "measure"}``; it hands them to ``fire`` below. ``campaign_measurement``
is the bus's consumer of ``campaign.measurement_requested``: it runs the campaign's SQL analysis over the export
and the statistics (numpy, scipy: the jobs' layer on AWS, imported only inside the job), once per request.
"""

from __future__ import annotations

from typing import Any, Callable

from chalice import Blueprint

from .. import bootstrap
from ..observability import logger

bp = Blueprint(__name__)
QUERY_SECONDS = 600.0  # the measurement's Athena query (the function's timeout is 900 s)


def fire(event: dict[str, Any], time_left: Callable[[], float] | None) -> dict[str, Any]:
    """A campaign's schedule fired: run it, or queue its measurement (services/campaigns.py ``fire``)."""
    from ..services import campaigns

    result = campaigns.fire(
        bootstrap.store(),
        bootstrap.campaign_store(),
        bootstrap.profile_store(),
        bootstrap.policy(),
        str(event["campaign_id"]),
        str(event.get("action")),
        time_left,
    )
    logger.info("campaign schedule fired", extra=result)
    return result


@bp.lambda_function(name="campaign_measurement")
def campaign_measurement(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """``campaign.measurement_requested`` from the bus: measure the campaign it names (once per request)."""
    from aws_lambda_powertools.utilities.data_classes import EventBridgeEvent

    from ..events.catalogue import SOURCE
    from ..services import campaign_measurement as measurement

    ev = EventBridgeEvent(event)
    detail = ev.detail if isinstance(ev.detail, dict) else {}
    if ev.source != SOURCE or ev.detail_type != "campaign.measurement_requested" or not detail.get("campaign_id"):
        logger.warning("event ignored", extra={"detail_type": ev.detail_type, "source": ev.source})
        return {"ignored": ev.detail_type}
    result = measurement.measure(
        lambda start, end: bootstrap.analytics(start, end, timeout=QUERY_SECONDS),
        bootstrap.campaign_store(),
        str(detail["campaign_id"]),
    )
    logger.info("campaign measured", extra={"campaign_id": detail["campaign_id"], "state": result.get("state")})
    return result
