"""The customer's inbox: list it (newest first, unread only if asked), mark one read.

Notifications live under the customer's own wallet partition, so a customer reaches only their own:
someone else's id is simply not found (404).
"""

from __future__ import annotations

import base64
import json
import re
from typing import Any

from ..domain.errors import InvalidRequest, NotFound
from ..observability import capture_method
from . import clock
from .ports import Inbox

_ID = re.compile(r"^ntf_[0-9a-f]{28}$")


def encode_cursor(notification_id: str) -> str:
    return base64.urlsafe_b64encode(json.dumps({"before": notification_id}).encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> str:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        value = json.loads(base64.urlsafe_b64decode(padded.encode()))["before"]
    except (ValueError, KeyError, TypeError) as exc:
        raise InvalidRequest("cursor is not one this API returned", code="invalid_cursor", field="cursor") from exc
    if not isinstance(value, str) or not _ID.match(value):
        raise InvalidRequest("cursor is not one this API returned", code="invalid_cursor", field="cursor")
    return value


@capture_method
def list_notifications(store: Inbox, user_id: str, limit: int, cursor: str | None, unread: bool) -> dict[str, Any]:
    before = decode_cursor(cursor) if cursor else None
    rows, next_id = store.list_notifications(user_id, limit, before, unread)
    return {
        "user_id": user_id,
        "items": [n.as_view() for n in rows],
        "next_cursor": encode_cursor(next_id) if next_id else None,
        "unread_count": store.count_unread(user_id),
    }


@capture_method
def mark_read(store: Inbox, user_id: str, notification_id: str) -> dict[str, Any]:
    """Idempotent: the first call sets ``read_at``, later ones return it unchanged."""
    n = store.mark_notification_read(user_id, notification_id, clock.stamp()) if _ID.match(notification_id) else None
    if n is None:
        raise NotFound("notification", notification_id)
    return n.as_view()
