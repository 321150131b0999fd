"""The customer's inbox: notifications, how their ids are made, and the words each kind of reminder uses.

A notification is created once per *dedupe key* (the event it answers, the payment it asks about, the
customer's ISO week for a run-out forecast, the bonus grant about to expire). Its id is time-ordered
(milliseconds, then a hash of the dedupe key), so the inbox lists newest first by key order alone.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

TYPES = ("low_balance", "run_out", "bonus_expiry", "feedback_prompt")

# e-mail status of a notification: none (not e-mailed), pending (to send, or sending), sent
EMAIL_NONE, EMAIL_PENDING, EMAIL_SENT = "none", "pending", "sent"


@dataclass(frozen=True)
class Notification:
    notification_id: str
    user_id: str
    type: str
    title: str
    body: str
    data: dict[str, Any]
    created_at: str
    read_at: str | None = None
    email_status: str = EMAIL_NONE
    email_to: str | None = None
    email_claimed_at: str | None = None

    def as_view(self) -> dict[str, Any]:
        return {
            "notification_id": self.notification_id,
            "type": self.type,
            "title": self.title,
            "body": self.body,
            "data": dict(self.data),
            "created_at": self.created_at,
            "read_at": self.read_at,
        }


@dataclass(frozen=True)
class Message:
    type: str
    title: str
    body: str
    data: dict[str, Any] = field(default_factory=dict)
    email: bool = True  # whether it goes by e-mail too (when the customer gave an address)


def notification_id(dedupe_key: str, at: datetime) -> str:
    """``ntf_`` + 12 hex digits of the creation time in ms + 16 hex digits of the dedupe key's hash."""
    digest = hashlib.sha256(dedupe_key.encode()).hexdigest()[:16]
    return f"ntf_{int(at.timestamp() * 1000):012x}{digest}"


def money(amount: int, currency: str) -> str:
    sign = "-" if amount < 0 else ""
    a = abs(amount)
    return f"{'¥' if currency == 'CNY' else currency + ' '}{sign}{a // 100}.{a % 100:02d}"


def low_balance(balance: int, threshold: int, currency: str, event_id: str) -> Message:
    return Message(
        "low_balance",
        "Your balance is low",
        f"Your balance is {money(balance, currency)}, below the {money(threshold, currency)} "
        "you asked to be reminded at.",
        {"balance": balance, "threshold": threshold, "event_id": event_id},
    )


def run_out(runs_out_on: date, daily_spend: int, balance: int, suggested: int, currency: str) -> Message:
    return Message(
        "run_out",
        "Your balance may run out soon",
        f"At about {money(daily_spend, currency)} a day, your balance of {money(balance, currency)} "
        f"lasts until {runs_out_on.isoformat()}. A top-up of {money(suggested, currency)} would cover "
        "the next 30 days.",
        {
            "runs_out_on": runs_out_on.isoformat(),
            "daily_spend": daily_spend,
            "balance": balance,
            "suggested_topup": suggested,
        },
    )


def bonus_expiry(grant_id: str, amount: int, expires_at: str, currency: str) -> Message:
    return Message(
        "bonus_expiry",
        "Bonus balance about to expire",
        f"{money(amount, currency)} of bonus balance expires on {expires_at[:10]} ({expires_at}). Use it before then.",
        {"grant_id": grant_id, "amount": amount, "expires_at": expires_at},
    )


def feedback_prompt(payment_id: str, merchant_id: str, amount: int, currency: str) -> Message:
    return Message(
        "feedback_prompt",
        "How was your purchase?",
        f"You paid {money(amount, currency)} at {merchant_id}. Rate this payment.",
        {"payment_id": payment_id, "merchant_id": merchant_id, "amount": amount},
        email=False,
    )
