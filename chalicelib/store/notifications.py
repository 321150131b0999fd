"""The customer's inbox: ``W#{user} / N#{notification}`` and its dedupe guards ``W#{user} / NK#{key}``, both
expiring via TTL; a notification's e-mail is claimed by one sender at a time (a lease on the item).
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from decimal import Decimal

from pynamodb.exceptions import UpdateError

from ..domain.notifications import EMAIL_PENDING, EMAIL_SENT, Notification
from .base import StoreBase
from .guards import Cancelled, Guarded, Put
from .keys import NOTIFICATION_PREFIX, NOTIFICATIONS_END, notification_guard_key, notification_key, wallet_key
from .models import NOTIFICATION_KEY_TTL_DAYS, NOTIFICATION_TTL_DAYS, NotificationItem, NotificationKeyItem


def as_notification(item: NotificationItem) -> Notification:
    data = item.data.as_dict() if hasattr(item.data, "as_dict") else dict(item.data or {})
    return Notification(
        notification_id=item.notification_id,
        user_id=item.user_id,
        type=item.type,
        title=item.title,
        body=item.body,
        data={k: (int(v) if isinstance(v, Decimal) and v == int(v) else v) for k, v in data.items()},
        created_at=item.created_at,
        read_at=item.read_at,
        email_status=item.email_status or "none",
        email_to=item.email_to,
        email_claimed_at=item.email_claimed_at,
    )


class NotificationStore(StoreBase):
    def put_notification(self, n: Notification, dedupe_key: str) -> tuple[bool, Notification | None]:
        """The notification and its dedupe guard in one transaction. (True, n) when created; (False, the one
        created before under the same key) when the key was used (None if that one has expired)."""
        now = datetime.now(timezone.utc)
        try:
            with Guarded(self._connection) as tx:
                tx.send(
                    [
                        Put(
                            "dedupe_key",
                            NotificationKeyItem(
                                *notification_guard_key(n.user_id, dedupe_key),
                                kind="notification_key",
                                notification_id=n.notification_id,
                                expires_at=now + timedelta(days=NOTIFICATION_KEY_TTL_DAYS),
                            ),
                            NotificationKeyItem.pk.does_not_exist(),
                        ),
                        Put(
                            "notification",
                            NotificationItem(
                                *notification_key(n.user_id, n.notification_id),
                                kind="notification",
                                notification_id=n.notification_id,
                                user_id=n.user_id,
                                type=n.type,
                                title=n.title,
                                body=n.body,
                                data=dict(n.data),
                                created_at=n.created_at,
                                email_status=n.email_status,
                                email_to=n.email_to,
                                dedupe_key=dedupe_key,
                                expires_at=now + timedelta(days=NOTIFICATION_TTL_DAYS),
                            ),
                            NotificationItem.pk.does_not_exist(),
                        ),
                    ]
                )
        except Cancelled as exc:
            if not exc.condition_failed("dedupe_key"):
                raise  # a conflict with a concurrent delivery of the same key: the caller's retry finds it
            guard = NotificationKeyItem.get(*notification_guard_key(n.user_id, dedupe_key), consistent_read=True)
            return False, self.get_notification(n.user_id, guard.notification_id)
        return True, n

    def get_notification(self, user_id: str, notification_id: str) -> Notification | None:
        try:
            return as_notification(
                NotificationItem.get(*notification_key(user_id, notification_id), consistent_read=True)
            )
        except NotificationItem.DoesNotExist:
            return None

    def list_notifications(
        self, user_id: str, limit: int, before_id: str | None = None, unread: bool = False
    ) -> tuple[list[Notification], str | None]:
        """Newest first; the id to continue before (None at the end)."""
        pk, _ = wallet_key(user_id)
        upper = notification_key(user_id, before_id)[1] if before_id else NOTIFICATIONS_END
        items = NotificationItem.query(
            pk,
            NotificationItem.sk.between(NOTIFICATION_PREFIX, upper),
            filter_condition=NotificationItem.read_at.does_not_exist() if unread else None,
            scan_index_forward=False,
            page_size=100 if unread else limit + 2,
            consistent_read=True,
        )
        rows: list[Notification] = []
        for item in items:
            if before_id is not None and item.notification_id == before_id:
                continue
            rows.append(as_notification(item))
            if len(rows) > limit:
                page = rows[:limit]
                return page, page[-1].notification_id
        return rows, None

    def count_unread(self, user_id: str) -> int:
        """Unread notifications of the inbox (a filtered count over the inbox's keys: bounded by its TTL)."""
        pk, _ = wallet_key(user_id)
        return NotificationItem.count(
            pk,
            NotificationItem.sk.between(NOTIFICATION_PREFIX, NOTIFICATIONS_END),
            filter_condition=NotificationItem.read_at.does_not_exist(),
            consistent_read=True,
        )

    def mark_notification_read(self, user_id: str, notification_id: str, at: str) -> Notification | None:
        """Set ``read_at`` once (a second call keeps the first time); None when the caller has no such one."""
        item = NotificationItem(*notification_key(user_id, notification_id))
        try:
            item.update(
                actions=[NotificationItem.read_at.set(NotificationItem.read_at | at)],
                condition=NotificationItem.pk.exists() & (NotificationItem.kind == "notification"),
            )
        except UpdateError as exc:
            if exc.cause_response_code == "ConditionalCheckFailedException":
                return None
            raise
        return as_notification(item)

    def claim_email(self, user_id: str, notification_id: str, at: str, stale_before: str) -> bool:
        """Take the pending e-mail of a notification for sending: only one sender at a time (a claim older
        than ``stale_before`` is a crashed sender's and may be taken over). False when it is not pending
        or someone else holds a live claim."""
        item = NotificationItem(*notification_key(user_id, notification_id))
        try:
            item.update(
                actions=[NotificationItem.email_claimed_at.set(at)],
                condition=(NotificationItem.email_status == EMAIL_PENDING)
                & (
                    NotificationItem.email_claimed_at.does_not_exist()
                    | (NotificationItem.email_claimed_at < stale_before)
                ),
            )
        except UpdateError as exc:
            if exc.cause_response_code == "ConditionalCheckFailedException":
                return False
            raise
        return True

    def email_sent(self, user_id: str, notification_id: str, message_id: str, at: str) -> None:
        NotificationItem(*notification_key(user_id, notification_id)).update(
            actions=[
                NotificationItem.email_status.set(EMAIL_SENT),
                NotificationItem.email_message_id.set(message_id),
                NotificationItem.email_sent_at.set(at),
                NotificationItem.email_claimed_at.remove(),
            ],
            condition=NotificationItem.email_status == EMAIL_PENDING,
        )

    def release_email(self, user_id: str, notification_id: str) -> None:
        """Give up a claim after a failed send: the e-mail stays pending for the next delivery."""
        try:
            NotificationItem(*notification_key(user_id, notification_id)).update(
                actions=[NotificationItem.email_claimed_at.remove()],
                condition=NotificationItem.email_status == EMAIL_PENDING,
            )
        except UpdateError as exc:
            if exc.cause_response_code != "ConditionalCheckFailedException":
                raise
