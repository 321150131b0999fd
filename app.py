"""The store-balance API: one Chalice app, its middleware and its blueprints."""

from __future__ import annotations

import uuid
from typing import Any, Callable

from chalice import Chalice, Response

from chalicelib.api import (
    admin,
    backtests as backtest_routes,
    behaviour,
    campaigns as campaign_routes,
    checkouts,
    coupons,
    feedback,
    meta,
    notifications,
    payments,
    promotions as promotion_routes,
    reports,
    segments,
    surveys,
    topups,
    unsubscribe,
    wallet,
)
from chalicelib.api.errors import CHALICE_CODES, error_response
from chalicelib.api.gateway import PAYLOAD_TOO_LARGE, body_too_large_message
from chalicelib.config import get_settings
from chalicelib.handlers import bonus, holds, lifecycle, publisher, reconciliation, reminders, segmentation
from chalicelib.handlers import backtests as backtest_jobs
from chalicelib.handlers import campaigns as campaign_jobs
from chalicelib.handlers import promotions as promotion_events
from chalicelib.observability import logger, metrics

app = Chalice(app_name="store-balance")
app.experimental_feature_flags.update(["BLUEPRINTS"])


@app.middleware("http")
def envelope(event: Any, get_response: Callable[[Any], Response]) -> Response:
    """Correlation id on every log line and response; Chalice's own errors in our envelope; metrics flushed."""
    request_id = (event.context or {}).get("requestId") or str(uuid.uuid4())
    # thread-local: `chalice local` serves requests on threads of one process (Lambda: one at a time)
    logger.thread_safe_clear_keys()
    logger.thread_safe_append_keys(
        correlation_id=request_id, path=event.context.get("resourcePath"), method=event.method
    )
    limit = get_settings().max_body_bytes
    if len(event.raw_body or b"") > limit:
        # before any view parses it (locally dev/chalice_local.py refuses it sooner, unread, by its Content-Length)
        status, code = PAYLOAD_TOO_LARGE
        response = error_response(
            status, code, body_too_large_message(limit), {"limit": limit, "request_id": request_id}
        )
    else:
        response = get_response(event)
    if response.status_code >= 400 and isinstance(response.body, dict) and "Code" in response.body:
        # Chalice's own refusals (unknown method, internal error) in our envelope, without internals
        code = CHALICE_CODES.get(response.body["Code"], "internal_error")
        message = str(response.body.get("Message", "")) if response.status_code < 500 else "internal error"
        response = error_response(
            response.status_code,
            code,
            message,
            {"request_id": request_id},
            headers={k: v for k, v in response.headers.items() if k.lower() != "content-type"},
        )
    response.headers["X-Request-Id"] = request_id
    if metrics.metric_set:
        metrics.flush_metrics()
    return response


app.register_blueprint(meta.bp)
app.register_blueprint(wallet.bp)
app.register_blueprint(notifications.bp)
app.register_blueprint(topups.bp)
app.register_blueprint(checkouts.bp)
app.register_blueprint(coupons.bp)
app.register_blueprint(payments.bp)
app.register_blueprint(admin.bp)
app.register_blueprint(feedback.bp)
app.register_blueprint(behaviour.bp)
app.register_blueprint(reports.bp)
app.register_blueprint(segments.bp)
app.register_blueprint(promotion_routes.bp)
app.register_blueprint(campaign_routes.bp)
app.register_blueprint(backtest_routes.bp)
app.register_blueprint(surveys.bp)
app.register_blueprint(unsubscribe.bp)
app.register_blueprint(reconciliation.bp)
app.register_blueprint(holds.bp)
app.register_blueprint(publisher.bp)
app.register_blueprint(lifecycle.bp)
app.register_blueprint(promotion_events.bp)
app.register_blueprint(bonus.bp)
app.register_blueprint(reminders.bp)
app.register_blueprint(segmentation.bp)
app.register_blueprint(campaign_jobs.bp)
app.register_blueprint(backtest_jobs.bp)

# the schedules' function by its name here too: the local runner calls app.promotions(event, context)
promotions = promotion_events.promotions
