"""The items of what customers are told and tell: the inbox and its dedupe guards, feedback and its
guards (keys: ``keys``)."""

from __future__ import annotations

from pynamodb.attributes import ListAttribute, MapAttribute, NumberAttribute, TTLAttribute, UnicodeAttribute

from .table import LedgerItem, item_meta

NOTIFICATION_TTL_DAYS = 180
NOTIFICATION_KEY_TTL_DAYS = 90  # longer than any redelivery, a week's run-out key, a grant's reminder window


class NotificationItem(LedgerItem):
    """One notification of a customer's inbox. The stream publisher turns its INSERT into
    ``notification.sent``: keep ``kind`` and the top-level names notification_id .. created_at."""

    Meta = item_meta()
    notification_id = UnicodeAttribute()
    user_id = UnicodeAttribute()
    type = UnicodeAttribute()
    title = UnicodeAttribute()
    body = UnicodeAttribute()
    data = MapAttribute(default=dict)
    created_at = UnicodeAttribute()
    read_at = UnicodeAttribute(null=True)
    email_status = UnicodeAttribute(default="none")  # none | pending | sent
    email_to = UnicodeAttribute(null=True)
    email_claimed_at = UnicodeAttribute(null=True)  # a sender's claim on a pending e-mail (a lease)
    email_message_id = UnicodeAttribute(null=True)
    email_sent_at = UnicodeAttribute(null=True)
    dedupe_key = UnicodeAttribute(null=True)
    expires_at = TTLAttribute(null=True)


class NotificationKeyItem(LedgerItem):
    """Guard: the dedupe key of a notification was used, and by which one."""

    Meta = item_meta()
    notification_id = UnicodeAttribute()
    expires_at = TTLAttribute(null=True)


class FeedbackItem(LedgerItem):
    """A customer's feedback on one transaction. The stream publisher turns its INSERT into the
    ``feedback.submitted`` event from these attribute names: keep them."""

    Meta = item_meta()
    feedback_id = UnicodeAttribute()
    user_id = UnicodeAttribute()
    subject_kind = UnicodeAttribute()
    subject_id = UnicodeAttribute()
    rating = NumberAttribute()
    tags = ListAttribute(of=UnicodeAttribute, default=list)
    comment = UnicodeAttribute(null=True)
    merchant_id = UnicodeAttribute(null=True)
    created_at = UnicodeAttribute()


class FeedbackGuardItem(LedgerItem):
    """Guard: the one feedback a transaction has."""

    Meta = item_meta()
    feedback_id = UnicodeAttribute()
    user_id = UnicodeAttribute()
