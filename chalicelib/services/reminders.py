"""Reminders: the low-balance reminder and the payment feedback prompt (from bus events), the daily run-out
and bonus-expiry reminders (from a schedule); each puts one notification in the inbox and may e-mail it.

Once-rules (each a dedupe key: a guard item makes a second notification under the same key impossible):
  low_balance      the event's ``detail.event_id``  (one per crossing; the publisher emits one per crossing)
  feedback_prompt  the payment id
  run_out          the customer's ISO week of the day the job runs for: at most one a week
  bonus_expiry     the bonus grant's id

E-mail, at least once and never again after a send succeeded: a notification that is to be e-mailed is
created ``pending``; a sender claims it (a 60-second lease, so concurrent deliveries do not both send),
sends through SES, then marks it ``sent``. A failed send leaves it pending and the delivery fails (the
bus's retry, or the next daily run while the reminder still applies, sends it); a redelivered event or a
re-run finds the notification by its key and sends only what is still pending. A crash between SES
accepting the message and the ``sent`` mark is the one case that sends twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from typing import Any, Callable

from ..domain.forecast import forecast, suggested_topup
from ..domain.notifications import (
    EMAIL_NONE,
    EMAIL_PENDING,
    Message,
    Notification,
    bonus_expiry,
    feedback_prompt,
    low_balance,
    notification_id,
    run_out,
)
from ..observability import logger
from .ports import DailyReminderStore, Inbox, ReminderStore

EMAIL_LEASE = timedelta(seconds=60)


@dataclass(frozen=True)
class Delivery:
    """How notifications leave the inbox: the SES sender ("" = no e-mail) and the function that sends one
    (sender, to, subject, text) -> message id."""

    sender: str
    send: Callable[[str, str, str, str], str]
    currency: str = "CNY"


def _iso(at: datetime) -> str:
    return at.astimezone(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def notify(
    store: Inbox, delivery: Delivery, user_id: str, dedupe_key: str, message: Message, email: str | None, now: datetime
) -> dict[str, Any]:
    """Create the notification of ``dedupe_key`` once, then send its e-mail if it is still pending.
    Returns {notification_id, created, email}: email is none | sent | already_sent | busy."""
    wants_email = bool(message.email and email and delivery.sender)
    n = Notification(
        notification_id=notification_id(dedupe_key, now),
        user_id=user_id,
        type=message.type,
        title=message.title,
        body=message.body,
        data=message.data,
        created_at=_iso(now),
        email_status=EMAIL_PENDING if wants_email else EMAIL_NONE,
        email_to=email if wants_email else None,
    )
    created, stored = store.put_notification(n, dedupe_key)
    if stored is None:  # the key was used by a notification that has since expired
        return {"notification_id": None, "created": False, "email": "none"}
    return {
        "notification_id": stored.notification_id,
        "created": created,
        "email": send_pending_email(store, delivery, stored, now),
    }


def send_pending_email(store: Inbox, delivery: Delivery, n: Notification, now: datetime) -> str:
    if n.email_status != EMAIL_PENDING:
        return "already_sent" if n.email_status == "sent" else "none"
    if not delivery.sender or not n.email_to:
        return "none"  # e-mail was switched off since: it stays pending until a sender is configured
    if not store.claim_email(n.user_id, n.notification_id, _iso(now), _iso(now - EMAIL_LEASE)):
        return "busy"  # another delivery is sending it (or just sent it)
    try:
        message_id = delivery.send(delivery.sender, n.email_to, n.title, n.body)
    except Exception:
        store.release_email(n.user_id, n.notification_id)
        raise
    store.email_sent(n.user_id, n.notification_id, message_id, _iso(now))
    return "sent"


# ---- events from the bus ---------------------------------------------------------------------


def on_balance_low(store: ReminderStore, delivery: Delivery, detail: dict[str, Any], now: datetime) -> dict[str, Any]:
    user_id, event_id = str(detail["user_id"]), str(detail["event_id"])
    wallet = store.get_wallet(user_id)
    settings = wallet.reminders if wallet is not None else None
    if settings is None or not settings.low_balance:
        return {"skipped": "low_balance reminders are off"}
    message = low_balance(int(detail["balance"]), int(detail["threshold"]), delivery.currency, event_id)
    return notify(store, delivery, user_id, f"low_balance:{event_id}", message, settings.email, now)


def on_payment_succeeded(store: Inbox, delivery: Delivery, detail: dict[str, Any], now: datetime) -> dict[str, Any]:
    payment_id = str(detail["payment_id"])
    message = feedback_prompt(
        payment_id, str(detail.get("merchant_id", "")), int(detail.get("amount", 0)), delivery.currency
    )
    return notify(store, delivery, str(detail["user_id"]), f"feedback:{payment_id}", message, None, now)


# ---- the daily job ------------------------------------------------------------------------------


def iso_week(day: date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def run_daily(store: DailyReminderStore, delivery: Delivery, presets: tuple[int, ...], now: datetime) -> dict[str, Any]:
    """Run-out reminders for the wallets listed in the ``reminders`` index, bonus-expiry reminders for the
    wallets in ``bonus-due`` with a grant ending within 30 days. ``now`` is the time the run is for."""
    today = now.astimezone(timezone.utc).date()
    report: dict[str, Any] = {
        "day": today.isoformat(),
        "run_out": {"listed": 0, "notified": 0},
        "bonus_expiry": {"listed": 0, "notified": 0},
        "emails": {"sent": 0, "failed": 0},
    }

    def deliver(kind: str, user_id: str, key: str, message: Message, email: str | None) -> None:
        try:
            result = notify(store, delivery, user_id, key, message, email, now)
        except Exception:  # one customer's failed e-mail does not stop the run; it stays pending
            logger.exception("reminder delivery failed", extra={"kind": kind})
            report["emails"]["failed"] += 1
            return
        report[kind]["notified"] += int(result["created"])
        report["emails"]["sent"] += int(result["email"] == "sent")

    for user_id in store.wallets_to_remind():
        report["run_out"]["listed"] += 1
        wallet = store.get_wallet(user_id)
        if wallet is None or wallet.reminders.run_out_days is None:
            continue  # the index lags a settings change
        days: int = wallet.reminders.run_out_days
        total = wallet.spendable(_iso(now)).total  # expired bonus that has not left yet is not spendable
        fc = forecast(wallet.spend_days, total, today)
        if fc.runs_out_on is None or (fc.runs_out_on - today).days > days:
            continue
        message = run_out(fc.runs_out_on, fc.daily_spend, total, suggested_topup(fc, total, presets), delivery.currency)
        deliver("run_out", user_id, f"run_out:{iso_week(today)}", message, wallet.reminders.email)

    for user_id in store.wallets_with_bonus_due(_iso(now + timedelta(days=30))):
        report["bonus_expiry"]["listed"] += 1
        wallet = store.get_wallet(user_id)
        if wallet is None or wallet.reminders.bonus_expiry_days is None:
            continue
        horizon = now + timedelta(days=wallet.reminders.bonus_expiry_days)
        for grant in wallet.grants:
            if not grant.expires_at or grant.amount <= 0:
                continue
            ends = datetime.fromisoformat(grant.expires_at.replace("Z", "+00:00"))
            if now < ends <= horizon:
                message = bonus_expiry(grant.grant_id, grant.amount, grant.expires_at, delivery.currency)
                deliver("bonus_expiry", user_id, f"bonus_expiry:{grant.grant_id}", message, wallet.reminders.email)
    return report
