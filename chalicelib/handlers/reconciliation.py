"""The daily reconciliation job (EventBridge schedule): every wallet against its entries.

Publishes ``ReconciliationMismatches`` so an alarm can fire on any difference.
"""

from __future__ import annotations

from typing import Any

from chalice import Blueprint

from ..observability import logger, metrics
from ..services.admin import reconcile
from .. import bootstrap

bp = Blueprint(__name__)


def run_reconciliation() -> dict[str, Any]:
    report = reconcile(bootstrap.store().scan())
    metrics.add_metric(name="ReconciliationMismatches", unit="Count", value=len(report["mismatches"]))
    metrics.add_metric(name="WalletsReconciled", unit="Count", value=report["wallets_checked"])
    if report["mismatches"]:
        logger.error("reconciliation found mismatches", extra={"mismatches": report["mismatches"]})
    else:
        logger.info("reconciliation clean", extra={"wallets_checked": report["wallets_checked"]})
    metrics.flush_metrics()
    return report


@bp.schedule("rate(1 day)", name="reconcile")
def reconcile_daily(event: Any) -> dict[str, Any]:
    return run_reconciliation()
