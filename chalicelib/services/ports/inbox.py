"""The inbox (notifications and their e-mail claims) and the jobs' indexes."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from ...domain.notifications import Notification


class Inbox(Protocol):
    """``notifications``: the customer's inbox (once per dedupe key) and its e-mails' claims."""

    def put_notification(self, n: Notification, dedupe_key: str) -> tuple[bool, Notification | None]: ...

    def get_notification(self, user_id: str, notification_id: str) -> Notification | None: ...

    def list_notifications(
        self, user_id: str, limit: int, before_id: str | None = None, unread: bool = False
    ) -> tuple[list[Notification], str | None]: ...

    def count_unread(self, user_id: str) -> int: ...

    def mark_notification_read(self, user_id: str, notification_id: str, at: str) -> Notification | None: ...

    def claim_email(self, user_id: str, notification_id: str, at: str, stale_before: str) -> bool: ...

    def email_sent(self, user_id: str, notification_id: str, message_id: str, at: str) -> None: ...

    def release_email(self, user_id: str, notification_id: str) -> None: ...


class JobIndexes(Protocol):
    """``indexes``: the jobs' work lists (eventually consistent: whoever acts re-reads and conditions)."""

    def open_holds_due(self, before: str) -> list[str]: ...

    def open_checkouts_due(self, before: str) -> list[str]: ...

    def wallets_with_bonus_due(self, before: str) -> list[str]: ...

    def wallets_to_remind(self) -> list[str]: ...
