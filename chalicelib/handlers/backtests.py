"""The backtest function: the bus's consumer of ``backtest.requested`` (a backtest a merchant's staff or an admin
asked for with ``POST /v1/merchants/{merchant_id}/backtests``, queued in the table and published from its stream).
It runs services/backtests.py ``run`` once per backtest, whatever the redeliveries. The replay is pure Python (no
numpy): on AWS the export is read through Athena; locally DuckDB reads it from moto's S3, and the local runner
delivers ``backtest.requested`` as the bus would."""

from __future__ import annotations

from typing import Any

from chalice import Blueprint

from .. import bootstrap
from ..observability import logger, metrics

bp = Blueprint(__name__)
QUERY_SECONDS = 600.0  # the backtest's one Athena query (the function's timeout: .chalice/config.json)


def run_backtest(merchant_id: str, backtest_id: str) -> dict[str, Any]:
    from ..services import backtests

    done = backtests.run(
        _store(),
        bootstrap.store(),
        lambda start, end: bootstrap.analytics(start, end, timeout=QUERY_SECONDS),
        bootstrap.policy().pricing,
        merchant_id,
        backtest_id,
    )
    if done["state"] == "succeeded":
        metrics.add_metric(name="CheckoutsBacktested", unit="Count", value=done["replayed"])
    logger.info("backtest", extra={"backtest_id": backtest_id, "state": done["state"]})
    if metrics.metric_set:
        metrics.flush_metrics()
    return done


def _store() -> Any:
    from ..store.backtests import backtest_store

    return backtest_store()


@bp.lambda_function(name="backtest")
def backtest_requested(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """``backtest.requested`` from the bus: run the queued backtest it names (once)."""
    from aws_lambda_powertools.utilities.data_classes import EventBridgeEvent

    from ..events.catalogue import SOURCE

    ev = EventBridgeEvent(event)
    detail = ev.detail if isinstance(ev.detail, dict) else {}
    if (
        ev.source != SOURCE
        or ev.detail_type != "backtest.requested"
        or not detail.get("backtest_id")
        or not detail.get("merchant_id")
    ):
        logger.warning("event ignored", extra={"detail_type": ev.detail_type, "source": ev.source})
        return {"ignored": ev.detail_type}
    return run_backtest(detail["merchant_id"], detail["backtest_id"])
