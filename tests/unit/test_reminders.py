"""Forecast, suggested top-up, the low-balance crossing rule, and the once-rules of reminders and their e-mail."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta, timezone

import pytest

from chalicelib.domain.bonus import BonusGrant
from chalicelib.domain.forecast import Forecast, forecast, suggested_topup
from chalicelib.domain.model import Wallet
from chalicelib.domain.money import Lots
from chalicelib.domain.reminders import ReminderSettings, crossed_below
from chalicelib.services.reminders import Delivery, on_balance_low, on_payment_succeeded, run_daily

TODAY = date(2026, 11, 25)  # a Wednesday
PRESETS = (5000, 10000, 20000, 50000)


def days_ago(n: int) -> str:
    return (TODAY - timedelta(days=n)).isoformat()


# ---- forecast ---------------------------------------------------------------------------------


def test_nothing_spent_means_no_forecast():
    assert forecast({}, 10_000, TODAY) == Forecast(0, None)


def test_spending_older_than_thirty_days_is_not_the_pace():
    assert forecast({days_ago(30): 5000, days_ago(45): 100}, 10_000, TODAY) == Forecast(0, None)


def test_the_pace_is_averaged_since_the_first_spend_in_the_window_and_rounded_up():
    # 1000 spent over the 3 days from two days ago through today: 333.33 -> 334 fen a day
    fc = forecast({days_ago(2): 600, days_ago(0): 400}, 1000, TODAY)
    assert fc.daily_spend == 334
    assert fc.runs_out_on == TODAY + timedelta(days=2)  # floor(1000 / 334) = 2


def test_a_full_window_averages_over_thirty_days():
    spend = {days_ago(n): 100 for n in range(30)}
    spend[days_ago(29)] = 130  # 3030 over 30 days: 101 a day
    fc = forecast(spend, 10_100, TODAY)
    assert fc == Forecast(101, TODAY + timedelta(days=100))


def test_an_empty_balance_runs_out_today():
    assert forecast({days_ago(1): 500}, 0, TODAY).runs_out_on == TODAY


def test_suggested_topup_is_the_smallest_preset_covering_thirty_days_beyond_the_balance():
    fc = Forecast(500, TODAY)  # 15000 for 30 days
    assert suggested_topup(fc, 0, PRESETS) == 20000
    assert suggested_topup(fc, 5000, PRESETS) == 10000
    assert suggested_topup(fc, 20000, PRESETS) == 5000  # covered already: the smallest
    assert suggested_topup(Forecast(10_000, TODAY), 0, PRESETS) == 50000  # nothing covers it: the largest


def test_suggested_topup_without_spending_is_the_middle_preset():
    assert suggested_topup(Forecast(0, None), 123, PRESETS) == 10000
    assert suggested_topup(Forecast(0, None), 123, (100, 200, 300)) == 200
    assert suggested_topup(Forecast(0, None), 0, ()) == 0


# ---- the crossing rule --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("before", "after", "threshold", "fires"),
    [
        (1500, 900, 1000, True),  # crossing down
        (1000, 999, 1000, True),  # from exactly the threshold
        (900, 800, 1000, False),  # already below: no storm of reminders
        (800, 1200, 1000, False),  # going up re-arms, does not fire
        (1200, 1000, 1000, False),  # landing on the threshold is not below it
        (500, 0, 0, False),  # no threshold, no reminder
    ],
)
def test_a_low_balance_reminder_fires_only_when_a_write_crosses_the_threshold(before, after, threshold, fires):
    assert crossed_below(before, after, threshold) is fires


def test_a_dip_reminds_once_until_the_balance_comes_back():
    totals, threshold = [2000, 900, 700, 500, 1500, 800, 600], 1000
    fired = [b for a, b in zip(totals, totals[1:]) if crossed_below(a, b, threshold)]
    assert fired == [900, 800]


# ---- once-rules, with a store and a mailer in memory ------------------------------------------------


class InboxStore:
    def __init__(self) -> None:
        self.wallets: dict[str, Wallet] = {}
        self.notes: dict[tuple[str, str], object] = {}
        self.keys: dict[tuple[str, str], str] = {}

    def get_wallet(self, user_id):
        return self.wallets.get(user_id)

    def put_notification(self, n, dedupe_key):
        if (n.user_id, dedupe_key) in self.keys:
            return False, self.notes.get((n.user_id, self.keys[(n.user_id, dedupe_key)]))
        self.keys[(n.user_id, dedupe_key)] = n.notification_id
        self.notes[(n.user_id, n.notification_id)] = n
        return True, n

    def claim_email(self, user_id, nid, at, stale_before):
        n = self.notes[(user_id, nid)]
        if n.email_status != "pending" or (n.email_claimed_at and n.email_claimed_at >= stale_before):
            return False
        self.notes[(user_id, nid)] = replace(n, email_claimed_at=at)
        return True

    def email_sent(self, user_id, nid, message_id, at):
        self.notes[(user_id, nid)] = replace(self.notes[(user_id, nid)], email_status="sent", email_claimed_at=None)

    def release_email(self, user_id, nid):
        self.notes[(user_id, nid)] = replace(self.notes[(user_id, nid)], email_claimed_at=None)

    def wallets_to_remind(self):
        return [u for u, w in self.wallets.items() if w.reminders.run_out_days is not None]

    def wallets_with_bonus_due(self, before):
        return [
            u for u, w in self.wallets.items() if any(g.expires_at and g.expires_at < before for g in w.bonus_grants)
        ]


class Mailer:
    def __init__(self) -> None:
        self.sent: list[tuple[str, str, str]] = []
        self.fail = False

    def __call__(self, sender, to, subject, text):
        if self.fail:
            raise RuntimeError("SES refused")
        self.sent.append((to, subject, text))
        return f"msg-{len(self.sent)}"


NOW = datetime(2026, 11, 25, 1, 0, tzinfo=timezone.utc)
EVENT = {
    "event_id": "W#u1:WALLET:7",
    "user_id": "u1",
    "balance": 900,
    "threshold": 1000,
    "wallet_version": 7,
    "occurred_at": "2026-11-25T00:59:00.000Z",
}


@pytest.fixture
def store():
    s = InboxStore()
    s.wallets["u1"] = Wallet(
        "u1", "CNY", lots=Lots(900, 0), low_balance_threshold=1000, reminders=ReminderSettings(email="u1@example.com")
    )
    return s


def test_the_same_balance_low_event_twice_makes_one_notification_and_one_email(store):
    mail = Mailer()
    first = on_balance_low(store, Delivery("noreply@x.test", mail), EVENT, NOW)
    again = on_balance_low(store, Delivery("noreply@x.test", mail), EVENT, NOW + timedelta(minutes=2))
    assert first["created"] is True and first["email"] == "sent"
    assert again == {**first, "created": False, "email": "already_sent"}
    assert len(store.notes) == 1 and len(mail.sent) == 1
    assert mail.sent[0][0] == "u1@example.com" and "¥9.00" in mail.sent[0][2]


def test_a_failed_email_stays_pending_and_the_redelivery_sends_it(store):
    mail = Mailer()
    mail.fail = True
    with pytest.raises(RuntimeError):
        on_balance_low(store, Delivery("noreply@x.test", mail), EVENT, NOW)
    [n] = store.notes.values()
    assert n.email_status == "pending" and n.email_claimed_at is None
    mail.fail = False
    again = on_balance_low(store, Delivery("noreply@x.test", mail), EVENT, NOW + timedelta(minutes=1))
    assert again["created"] is False and again["email"] == "sent" and len(mail.sent) == 1
    assert len(store.notes) == 1


def test_a_live_claim_keeps_a_second_delivery_from_sending(store):
    mail = Mailer()
    created, n = store.put_notification(replace(_pending(store), email_claimed_at="2026-11-25T01:00:00.000Z"), "k")
    from chalicelib.services.reminders import send_pending_email

    assert send_pending_email(store, Delivery("s@x.test", mail), n, NOW + timedelta(seconds=10)) == "busy"
    assert send_pending_email(store, Delivery("s@x.test", mail), n, NOW + timedelta(seconds=90)) == "sent"
    assert len(mail.sent) == 1


def _pending(store):
    from chalicelib.domain.notifications import Notification

    return Notification(
        "ntf_1",
        "u1",
        "low_balance",
        "t",
        "b",
        {},
        "2026-11-25T01:00:00.000Z",
        email_status="pending",
        email_to="u1@example.com",
    )


def test_no_low_balance_reminder_when_the_customer_turned_it_off(store):
    store.wallets["u1"] = replace(store.wallets["u1"], reminders=ReminderSettings(low_balance=False))
    assert "skipped" in on_balance_low(store, Delivery("s@x.test", Mailer()), EVENT, NOW)
    assert store.notes == {}


def test_no_email_without_an_address_or_a_sender(store):
    mail = Mailer()
    on_balance_low(store, Delivery("", mail), EVENT, NOW)
    [n] = store.notes.values()
    assert n.email_status == "none" and mail.sent == []


def test_a_payment_prompts_for_feedback_once_and_never_by_email(store):
    mail = Mailer()
    detail = {"user_id": "u1", "payment_id": "pay_1", "merchant_id": "m1", "amount": 2500}
    assert on_payment_succeeded(store, Delivery("s@x.test", mail), detail, NOW)["created"] is True
    assert on_payment_succeeded(store, Delivery("s@x.test", mail), detail, NOW)["created"] is False
    [n] = store.notes.values()
    assert n.type == "feedback_prompt" and n.data["payment_id"] == "pay_1" and mail.sent == []


def test_the_daily_job_reminds_of_a_run_out_once_per_iso_week(store):
    mail = Mailer()
    store.wallets["u1"] = replace(
        store.wallets["u1"],
        lots=Lots(1000, 0),
        spend_days={days_ago(1): 500},
        reminders=ReminderSettings(run_out_days=7, email="u1@example.com"),
    )
    # 250 a day (500 over two days): 1000 lasts 4 days, within 7
    first = run_daily(store, Delivery("s@x.test", mail), PRESETS, NOW)
    assert first["run_out"] == {"listed": 1, "notified": 1}
    [n] = store.notes.values()
    assert n.data == {"runs_out_on": "2026-11-29", "daily_spend": 250, "balance": 1000, "suggested_topup": 10000}
    friday = run_daily(store, Delivery("s@x.test", mail), PRESETS, NOW + timedelta(days=2))
    sunday = run_daily(store, Delivery("s@x.test", mail), PRESETS, NOW + timedelta(days=4))
    assert friday["run_out"]["notified"] == sunday["run_out"]["notified"] == 0
    # Monday: a new ISO week, and the customer still spends at the same pace
    store.wallets["u1"] = replace(store.wallets["u1"], spend_days={(TODAY + timedelta(days=4)).isoformat(): 500})
    next_week = run_daily(store, Delivery("s@x.test", mail), PRESETS, NOW + timedelta(days=5))
    assert next_week["run_out"]["notified"] == 1 and len(store.notes) == 2 and len(mail.sent) == 2


def test_the_daily_job_does_not_remind_when_the_balance_lasts_beyond_the_window(store):
    store.wallets["u1"] = replace(
        store.wallets["u1"],
        lots=Lots(100_000, 0),
        spend_days={days_ago(1): 500},
        reminders=ReminderSettings(run_out_days=7),
    )
    assert run_daily(store, Delivery("", Mailer()), PRESETS, NOW)["run_out"]["notified"] == 0


def test_the_daily_job_reminds_once_per_bonus_grant_within_the_customers_days(store):
    soon = BonusGrant("g-soon", 300, "2026-11-27T00:00:00Z", "plan")
    later = BonusGrant("g-later", 700, "2026-12-20T00:00:00Z", "plan")
    gone = BonusGrant("g-gone", 50, "2026-11-24T00:00:00Z", "plan")
    store.wallets["u1"] = replace(
        store.wallets["u1"],
        lots=Lots(900, 1050),
        bonus_grants=(gone, soon, later),
        reminders=ReminderSettings(bonus_expiry_days=3),
    )
    report = run_daily(store, Delivery("", Mailer()), PRESETS, NOW)
    again = run_daily(store, Delivery("", Mailer()), PRESETS, NOW + timedelta(hours=24))
    assert report["bonus_expiry"] == {"listed": 1, "notified": 1} and again["bonus_expiry"]["notified"] == 0
    [n] = store.notes.values()
    assert n.type == "bonus_expiry" and n.data == {
        "grant_id": "g-soon",
        "amount": 300,
        "expires_at": "2026-11-27T00:00:00Z",
    }
    store.wallets["u1"] = replace(store.wallets["u1"], reminders=ReminderSettings(bonus_expiry_days=None))
    assert (
        run_daily(store, Delivery("", Mailer()), PRESETS, datetime(2026, 12, 18, tzinfo=timezone.utc))["bonus_expiry"][
            "notified"
        ]
        == 0
    )


def test_a_notification_item_becomes_a_notification_sent_event_that_matches_its_schema():
    """The stream publisher maps the inbox item's INSERT by its kind and top-level names: keep them."""
    import jsonschema
    from boto3.dynamodb.types import TypeDeserializer

    from chalicelib.events.catalogue import SCHEMAS
    from chalicelib.events.mapping import events_of, plain
    from chalicelib.store.models import NotificationItem, notification_key

    item = NotificationItem(
        *notification_key("u1", "ntf_0000000000000123456789abcdef"),
        kind="notification",
        notification_id="ntf_0000000000000123456789abcdef",
        user_id="u1",
        type="low_balance",
        title="Your balance is low",
        body="...",
        data={"balance": 900, "threshold": 1000},
        created_at="2026-11-25T01:00:00.000Z",
        email_status="pending",
        email_to="u1@example.com",
        dedupe_key="low_balance:e1",
    )
    raw = item.serialize()
    image = plain({k: TypeDeserializer().deserialize(v) for k, v in raw.items()})
    [(detail_type, detail)] = events_of("INSERT", None, image)
    assert detail_type == "notification.sent"
    assert detail["data"] == {"balance": 900, "threshold": 1000} and "email_to" not in detail
    jsonschema.Draft202012Validator(
        SCHEMAS["notification.sent"], format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    ).validate(detail)
