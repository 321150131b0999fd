"""Limited-time promotions: the function EventBridge Scheduler invokes at a promotion's start and end (and at a
campaign's run and measurement: chalicelib/handlers/campaigns.py).

Its event is the schedule's input, ``{"promotion_id": ..., "action": "start" | "end"}``
(chalicelib/scheduling.py). What each action does, and why running it twice changes nothing, is in
chalicelib/services/promotions.py (``fire``).
"""

from __future__ import annotations

from typing import Any

from chalice import Blueprint

from ..config import get_settings
from ..observability import logger
from ..services import promotions as service
from .. import bootstrap

bp = Blueprint(__name__)


@bp.lambda_function(name="promotions")
def promotions(event: dict[str, Any], context: Any) -> dict[str, Any]:
    remaining = getattr(context, "get_remaining_time_in_millis", None)
    time_left = (lambda: remaining() / 1000) if callable(remaining) else None
    if isinstance(event, dict) and isinstance(event.get("campaign_id"), str):  # a campaign's schedule
        from . import campaigns

        return campaigns.fire(event, time_left)
    if not isinstance(event, dict) or not isinstance(event.get("promotion_id"), str):
        logger.warning("promotions: not a schedule's input", extra={"event_type": type(event).__name__})
        return {"result": "ignored"}
    result = service.fire(
        bootstrap.store(),
        service.PromotionPolicy.from_settings(get_settings()),
        event["promotion_id"],
        str(event.get("action")),
        time_left,
        bootstrap.profile_store(),
    )
    logger.info("promotion schedule fired", extra=result)
    return result
