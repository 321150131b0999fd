"""Customer routes: the caller's own inbox of notifications (reminders, prompts)."""

from __future__ import annotations

from chalice import Blueprint

from ..services import notifications
from .. import bootstrap
from .routing import Call, route

bp = Blueprint(__name__)


@route(
    bp,
    "/v1/notifications",
    "GET",
    name="listNotifications",
    summary="The caller's notifications, newest first (unread only if asked), and how many are unread",
    access="user",
    query="notifications.NotificationsQuery",
    response="notifications.NotificationsPage",
    tag="notifications",
)
def list_notifications(call: Call) -> dict:
    q = call.query
    return notifications.list_notifications(bootstrap.store(), call.caller.user_id, q.limit, q.cursor, q.unread)


@route(
    bp,
    "/v1/notifications/{notification_id}/read",
    "POST",
    name="markNotificationRead",
    summary="Mark one of the caller's notifications read (again: unchanged)",
    access="user",
    response="notifications.NotificationOut",
    tag="notifications",
)
def mark_read(call: Call, notification_id: str) -> dict:
    return notifications.mark_read(bootstrap.store(), call.caller.user_id, notification_id)
