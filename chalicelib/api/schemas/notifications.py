"""A customer's inbox of notifications."""

from __future__ import annotations

from typing import Any, Literal, Optional

from pydantic import Field

from .common import Cursor, Out, PageLimit, Strict


class NotificationsQuery(Strict):
    unread: bool = Field(False, description="only notifications not yet read")
    limit: PageLimit = 20
    cursor: Optional[Cursor] = None


class NotificationOut(Out):
    notification_id: str
    type: Literal["low_balance", "run_out", "bonus_expiry", "feedback_prompt", "campaign", "survey"] = Field(
        description="a reminder, the prompt to rate a payment, or a campaign's message or survey"
    )
    title: str
    body: str
    data: dict[str, Any]
    created_at: str
    read_at: Optional[str]


class NotificationsPage(Out):
    user_id: str
    items: list[NotificationOut]
    next_cursor: Optional[str]
    unread_count: int
