"""The segmentation job: every customer's profile and segment from the export (services/segmentation.py).

Two functions of the app run it: ``segment_daily`` on a daily schedule (today's run), and ``segmentation``, the
bus's consumer of ``segmentation.requested`` (a run an operator asked for with ``POST /v1/admin/segmentations``,
queued in the table and published from its stream). Both need numpy and scipy (the BG/NBD fit), which stay out
of the API's bundle: on AWS they come from the segmentation functions' own layer (infra/), and this module
imports them only inside the functions, so the API's cold start never loads them. Locally ``make segment``
runs it against the running stack, and the local runner delivers ``segmentation.requested`` as the bus would.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from chalice import Blueprint

from .. import bootstrap
from ..observability import logger, metrics

bp = Blueprint(__name__)
QUERY_SECONDS = 600.0  # one Athena query of the run (the functions' timeout is 900 s: infra/, .chalice/config.json)


def run_segmentation(as_of: date | None = None, queued: dict[str, Any] | None = None) -> dict[str, Any]:
    from ..services import clock, segmentation

    day = date.fromisoformat(queued["as_of"]) if queued else (as_of or clock.now().date())
    history, _ = segmentation.windows(day)
    done = segmentation.run(
        bootstrap.analytics(history, day, timeout=QUERY_SECONDS),
        bootstrap.store(),
        bootstrap.profile_store(),
        day,
        queued=queued,
    )
    if done["state"] == "succeeded":
        metrics.add_metric(name="CustomersSegmented", unit="Count", value=done["customers"])
    logger.info("segmentation", extra={"run_id": done["run_id"], "state": done["state"]})
    if metrics.metric_set:
        metrics.flush_metrics()
    return done


@bp.schedule("cron(30 2 * * ? *)", name="segment_daily")
def segment_daily(event: Any) -> dict[str, Any]:
    """Every day at 02:30 UTC, after the day's export has settled (Firehose buffers up to 300 s)."""
    return run_segmentation()


@bp.lambda_function(name="segmentation")
def segmentation_requested(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """``segmentation.requested`` from the bus: run the queued run it names (once, whatever the redeliveries)."""
    from aws_lambda_powertools.utilities.data_classes import EventBridgeEvent

    from ..events.catalogue import SOURCE

    ev = EventBridgeEvent(event)
    detail = ev.detail if isinstance(ev.detail, dict) else {}
    if ev.source != SOURCE or ev.detail_type != "segmentation.requested" or not detail.get("run_id"):
        logger.warning("event ignored", extra={"detail_type": ev.detail_type, "source": ev.source})
        return {"ignored": ev.detail_type}
    return run_segmentation(
        queued={"run_id": detail["run_id"], "as_of": detail["as_of"], "requested_by": detail.get("requested_by")}
    )
