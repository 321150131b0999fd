"""The segmentation job: every customer's profile and segment from the export (services/segmentation.py).

Not yet a deployed function: it needs numpy and scipy (and DuckDB locally), which must stay out of the API's
bundle, so on AWS it waits for a function of its own with a layer. Locally ``make segment`` runs it against
the running stack, and the tests run it the same way."""

from __future__ import annotations

from datetime import date
from typing import Any

from .. import bootstrap
from ..observability import logger, metrics
from ..services import clock, segmentation


def run_segmentation(as_of: date | None = None) -> dict[str, Any]:
    as_of = as_of or clock.now().date()
    history, _ = segmentation.windows(as_of)
    done = segmentation.run(bootstrap.analytics(history, as_of), bootstrap.store(), bootstrap.profile_store(), as_of)
    metrics.add_metric(name="CustomersSegmented", unit="Count", value=done["customers"])
    logger.info("segmentation", extra={"run_id": done["run_id"], "customers": done["customers"]})
    metrics.flush_metrics()
    return done
