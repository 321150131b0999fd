"""The bus's consumer (EventBridge rule -> this function): reminders that follow a domain event.

``wallet.balance_low`` puts one low-balance notification in the inbox (when the customer keeps that
reminder on) and e-mails it; ``payment.succeeded`` puts a "rate your payment" prompt. Both are idempotent
on the event (chalicelib.services.reminders), so a redelivery changes nothing but a pending e-mail.
A failed e-mail fails the invocation, so the bus's retry sends it.
"""

from __future__ import annotations

from typing import Any

from chalice import Blueprint

from ..observability import logger, metrics

bp = Blueprint(__name__)


def delivery() -> Any:
    from ..config import get_settings
    from ..mail import send_email
    from ..services.reminders import Delivery

    s = get_settings()
    return Delivery(sender=s.ses_sender, send=send_email, currency=s.currency)


@bp.lambda_function(name="lifecycle")
def lifecycle(event: dict[str, Any], context: Any) -> dict[str, Any]:
    from aws_lambda_powertools.utilities.data_classes import EventBridgeEvent

    from ..services import clock, reminders
    from .. import bootstrap
    from ..events.catalogue import SOURCE

    ev = EventBridgeEvent(event)
    detail_type, detail = ev.detail_type, ev.detail or {}
    if ev.source != SOURCE or not isinstance(detail, dict) or not detail.get("user_id"):
        logger.warning("event ignored", extra={"detail_type": detail_type, "source": ev.source})
        return {"ignored": detail_type}
    handlers = {"wallet.balance_low": reminders.on_balance_low, "payment.succeeded": reminders.on_payment_succeeded}
    handler = handlers.get(detail_type)
    if handler is None:
        return {"ignored": detail_type}
    try:
        result = handler(bootstrap.store(), delivery(), detail, clock.now())
    except KeyError as exc:  # a detail without a field we need: retrying cannot mend it
        logger.error("event without a required field", extra={"detail_type": detail_type, "field": str(exc)})
        return {"ignored": detail_type, "missing": str(exc)}
    if result.get("created"):
        metrics.add_metric(name="NotificationsCreated", unit="Count", value=1)
    if result.get("email") == "sent":
        metrics.add_metric(name="ReminderEmailsSent", unit="Count", value=1)
    logger.info("lifecycle event handled", extra={"detail_type": detail_type, "event_id": ev.get_id, "result": result})
    if metrics.metric_set:
        metrics.flush_metrics()
    return {"detail_type": detail_type, **result}
