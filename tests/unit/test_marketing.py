"""Marketing e-mail: the unsubscribe token (signed, verified, forged, garbled, expired), consent and its default,
the one-click unsubscribe, the raw message's headers, and a campaign's delivery once per customer."""

from __future__ import annotations

import base64
import email
import json
from datetime import datetime, timedelta, timezone
from email import policy
from urllib.parse import parse_qs, urlsplit

import pytest
from pydantic import ValidationError

from chalicelib.api.schemas.wallet import WalletSettingsRequest
from chalicelib.api.unsubscribe import one_click_body
from chalicelib.config import LOCAL_UNSUBSCRIBE_SECRET, get_settings
from chalicelib.domain.errors import InvalidRequest
from chalicelib.domain.model import Wallet
from chalicelib.domain.money import Lots
from chalicelib.domain.notifications import EMAIL_PENDING, EMAIL_SENT, notification_id
from chalicelib.domain.reminders import ReminderSettings
from chalicelib.services import marketing, wallets
from chalicelib.services.marketing import (
    MarketingDelivery,
    deliver_marketing,
    send_marketing_email,
    sign_token,
    signing_keys,
    unsubscribe,
    unsubscribe_secret,
    verify_token,
)
from chalicelib.services.reminders import Delivery, on_balance_low
from tests.unit.fakes import FakeLedgerStore

NOW = datetime(2026, 11, 25, 8, 0, tzinfo=timezone.utc)
KEY = "k-test-unsubscribe"
URL = "https://api.example.test/v1/unsubscribe"


def b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def refused(code: str, fn, *args, **kw) -> InvalidRequest:
    with pytest.raises(InvalidRequest) as info:
        fn(*args, **kw)
    assert info.value.code == code, info.value.message
    assert info.value.message
    return info.value


# ---- the token ---------------------------------------------------------------------------------------


def test_a_signed_token_verifies_to_its_customer_purpose_and_time():
    token = sign_token(KEY, "user-1", NOW)
    claims = verify_token([KEY], token, NOW + timedelta(days=3))
    assert (claims.user_id, claims.purpose, claims.issued_at) == ("user-1", "marketing_email", NOW)
    assert len(token) < 200 and set(token) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.")


def test_a_token_signed_with_another_key_is_refused():
    forged = sign_token("not-the-key", "user-1", NOW)
    refused("invalid_unsubscribe_token", verify_token, [KEY], forged, NOW)


def test_changing_the_customer_in_a_signed_token_breaks_its_mac():
    payload, mac = sign_token(KEY, "user-1", NOW).split(".")
    other = json.dumps(["m1", "user-2", "marketing_email", int(NOW.timestamp())], separators=(",", ":"))
    refused("invalid_unsubscribe_token", verify_token, [KEY], f"{b64(other.encode())}.{mac}", NOW)
    # and one flipped bit of the MAC
    raw = bytearray(base64.urlsafe_b64decode(mac + "=" * (-len(mac) % 4)))
    raw[0] ^= 1
    refused("invalid_unsubscribe_token", verify_token, [KEY], f"{payload}.{b64(bytes(raw))}", NOW)


@pytest.mark.parametrize(
    "garbled",
    ["", "x", "no-dot-here", "a.b.c", "!!!.???", "a b.c", ".", "abc.", ".abc", "%%%%.%%%%"],
)
def test_garbled_tokens_are_refused_with_the_same_code(garbled):
    refused("invalid_unsubscribe_token", verify_token, [KEY], garbled, NOW)


def test_a_valid_token_with_characters_base64_would_skip_is_refused():
    payload, mac = sign_token(KEY, "user-1", NOW).split(".")
    refused("invalid_unsubscribe_token", verify_token, [KEY], f"{payload}=.{mac}", NOW)
    refused("invalid_unsubscribe_token", verify_token, [KEY], f"{payload}.{mac}+", NOW)


def test_a_token_of_another_purpose_is_refused_even_with_the_right_key():
    token = sign_token(KEY, "user-1", NOW, purpose="delete_account")
    refused("invalid_unsubscribe_token", verify_token, [KEY], token, NOW)


def test_a_token_expires_after_its_validity_and_not_before():
    token = sign_token(KEY, "user-1", NOW)
    last = NOW + timedelta(days=marketing.TOKEN_VALID_DAYS)
    assert verify_token([KEY], token, last).user_id == "user-1"
    error = refused("unsubscribe_token_expired", verify_token, [KEY], token, last + timedelta(seconds=1))
    assert error.details["valid_days"] == 365


def test_a_token_issued_in_the_future_beyond_the_clock_skew_is_refused():
    assert verify_token([KEY], sign_token(KEY, "u", NOW + timedelta(minutes=4)), NOW).user_id == "u"
    refused("invalid_unsubscribe_token", verify_token, [KEY], sign_token(KEY, "u", NOW + timedelta(minutes=6)), NOW)


def test_a_secret_of_several_keys_signs_with_the_first_and_verifies_with_each():
    keys = signing_keys("new-key  old-key\n")
    assert keys == ("new-key", "old-key")
    old_link = sign_token("old-key", "user-1", NOW)
    assert verify_token(keys, old_link, NOW).user_id == "user-1"
    delivery = MarketingDelivery("s@x.test", URL, keys, send_raw=lambda *a: "m")
    token = parse_qs(urlsplit(delivery.link("user-1", NOW)).query)["token"][0]
    assert verify_token(("new-key",), token, NOW).user_id == "user-1"  # signed with the first
    refused("invalid_unsubscribe_token", verify_token, ("old-key",), token, NOW)
    with pytest.raises(RuntimeError):
        signing_keys("  ")


def test_the_secret_is_the_configured_one_and_the_local_default_only_in_the_local_stage():
    from dataclasses import replace

    s = replace(get_settings(), unsubscribe_secret=None, unsubscribe_secret_name=None)
    assert unsubscribe_secret(replace(s, unsubscribe_secret="given")) == "given"
    assert unsubscribe_secret(replace(s, stage="local")) == LOCAL_UNSUBSCRIBE_SECRET
    with pytest.raises(RuntimeError):
        unsubscribe_secret(replace(s, stage="prod"))


# ---- consent -------------------------------------------------------------------------------------------


def customer(store: FakeLedgerStore, user_id: str = "u1", email: str | None = "u1@example.com", **kw) -> Wallet:
    w = Wallet(user_id, "CNY", lots=Lots(1000, 0), reminders=ReminderSettings(email=email), **kw)
    store.wallets[user_id] = w
    return w


def test_marketing_email_is_on_by_default_and_shown_in_the_wallet():
    store = FakeLedgerStore()
    assert Wallet("nobody", "CNY").marketing_email is True
    assert wallets.get_wallet(store, "CNY", "nobody")["marketing"] == {"email": True}
    customer(store)
    assert wallets.get_wallet(store, "CNY", "u1")["marketing"] == {"email": True}


def test_the_settings_turn_marketing_off_and_on_without_touching_the_reminders():
    store = FakeLedgerStore()
    customer(store)
    before = wallets.get_wallet(store, "CNY", "u1")["reminders"]
    off = wallets.update_settings(store, "CNY", "u1", None, None, marketing_email=False)
    assert off["marketing"] == {"email": False} and off["reminders"] == before
    assert wallets.update_settings(store, "CNY", "u1", 500)["marketing"] == {"email": False}  # left out: kept
    assert wallets.update_settings(store, "CNY", "u1", None, None, marketing_email=True)["marketing"] == {"email": True}


def test_the_settings_request_takes_marketing_alone_and_refuses_what_is_not_a_boolean():
    assert WalletSettingsRequest.model_validate({"marketing": {"email": False}}).marketing.email is False
    for bad in ({"marketing": None}, {"marketing": {}}, {"marketing": {"email": "no"}}, {"marketing": {"sms": True}}):
        with pytest.raises(ValidationError):
            WalletSettingsRequest.model_validate(bad)


def test_an_opted_out_customer_still_gets_the_transactional_reminders_by_e_mail():
    store = FakeLedgerStore()
    customer(store, low_balance_threshold=2000, marketing_email=False)
    sent: list[tuple[str, str]] = []
    delivery = Delivery("noreply@x.test", lambda s, to, subject, text: sent.append((to, subject)) or "m-1")
    detail = {"user_id": "u1", "event_id": "ev-1", "balance": 1000, "threshold": 2000}
    assert on_balance_low(store, delivery, detail, NOW)["email"] == "sent"
    assert sent == [("u1@example.com", "Your balance is low")]


# ---- the unsubscribe use case ----------------------------------------------------------------------------


def test_a_link_unsubscribes_once_and_a_second_use_changes_nothing():
    store = FakeLedgerStore()
    customer(store)
    token = sign_token(KEY, "u1", NOW)
    first = unsubscribe(store, "CNY", [KEY], token, NOW + timedelta(days=1))
    assert first["status"] == "unsubscribed" and first["marketing"] == {"email": False}
    after_first = store.wallets["u1"]
    assert after_first.marketing_email is False and after_first.reminders.email == "u1@example.com"
    again = unsubscribe(store, "CNY", [KEY], token, NOW + timedelta(days=2))
    assert again["status"] == "already_unsubscribed" and again["message"]
    assert store.wallets["u1"] == after_first  # not even updated_at moved


def test_a_forged_token_or_a_one_click_without_its_body_changes_nothing():
    store = FakeLedgerStore()
    w = customer(store)
    refused("invalid_unsubscribe_token", unsubscribe, store, "CNY", [KEY], sign_token("other", "u1", NOW), NOW)
    refused(
        "unsubscribe_token_expired",
        unsubscribe,
        store,
        "CNY",
        [KEY],
        sign_token(KEY, "u1", NOW),
        NOW + timedelta(days=400),
    )
    refused(
        "invalid_one_click_request", unsubscribe, store, "CNY", [KEY], sign_token(KEY, "u1", NOW), NOW, one_click=False
    )
    assert store.wallets["u1"] == w
    assert unsubscribe(store, "CNY", [KEY], sign_token(KEY, "u1", NOW), NOW, one_click=True)["status"] == "unsubscribed"


@pytest.mark.parametrize(
    ("content_type", "raw", "ok"),
    [
        ("application/x-www-form-urlencoded", b"List-Unsubscribe=One-Click", True),
        ("application/x-www-form-urlencoded; charset=utf-8", b"List-Unsubscribe=One-Click\r\n", True),
        ("application/x-www-form-urlencoded", b"List-Unsubscribe=One-Click&List-Unsubscribe=No", False),
        ("application/x-www-form-urlencoded", b"List-Unsubscribe=Two-Clicks", False),
        ("application/x-www-form-urlencoded", b"", False),
        ("application/x-www-form-urlencoded", b"\xff\xfe", False),
        (None, b"List-Unsubscribe=One-Click", True),
        ("text/plain", b"List-Unsubscribe=One-Click", True),
        ("application/json", b'{"List-Unsubscribe": "One-Click"}', False),
        (
            "multipart/form-data; boundary=XyZ",
            b'--XyZ\r\nContent-Disposition: form-data; name="List-Unsubscribe"\r\n\r\nOne-Click\r\n--XyZ--\r\n',
            True,
        ),
        (
            "multipart/form-data; boundary=XyZ",
            b'--XyZ\r\nContent-Disposition: form-data; name="other"\r\n\r\nOne-Click\r\n--XyZ--\r\n',
            False,
        ),
        ("multipart/form-data", b"not multipart at all", False),
    ],
)
def test_the_one_click_body_is_recognised_only_as_rfc_8058_words_it(content_type, raw, ok):
    assert one_click_body(content_type, raw) is ok


# ---- sending --------------------------------------------------------------------------------------------


class Outbox:
    def __init__(self, fail: int = 0) -> None:
        self.sent: list[tuple[str, str, bytes]] = []
        self.fail = fail

    def __call__(self, sender: str, to: str, raw: bytes) -> str:
        if self.fail:
            self.fail -= 1
            raise RuntimeError("SES refused")
        self.sent.append((sender, to, raw))
        return f"msg-{len(self.sent)}"


def delivery(outbox: Outbox, sender: str = "news@shop.test", url: str = URL) -> MarketingDelivery:
    return MarketingDelivery(sender, url, (KEY,), send_raw=outbox)


def test_the_raw_message_carries_the_one_click_headers_and_a_link_that_verifies():
    store, outbox = FakeLedgerStore(), Outbox()
    customer(store)
    assert send_marketing_email(store, delivery(outbox), "u1", "双十一 offer", "Top up 200, get 20.", NOW) == "email"
    [(sender, to, raw)] = outbox.sent
    assert (sender, to) == ("news@shop.test", "u1@example.com")
    msg = email.message_from_bytes(raw, policy=policy.default)
    assert msg["To"] == "u1@example.com" and msg["From"] == "news@shop.test" and msg["Subject"] == "双十一 offer"
    assert msg["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    header = msg["List-Unsubscribe"]
    assert header.startswith(f"<{URL}?token=") and header.endswith(">")
    link = header[1:-1]
    token = parse_qs(urlsplit(link).query)["token"][0]
    assert verify_token([KEY], token, NOW).user_id == "u1"
    assert b"List-Unsubscribe: <" + link.encode() + b">\r\n" in raw  # on one line, unfolded, unencoded
    text = msg.get_content()
    assert "Top up 200, get 20." in text and link in text


def test_nothing_is_sent_without_consent_an_address_or_a_configured_sender():
    store, outbox = FakeLedgerStore(), Outbox()
    customer(store, "out", "out@example.com", marketing_email=False)
    customer(store, "noaddr", None)
    customer(store, "in", "in@example.com")
    assert send_marketing_email(store, delivery(outbox), "out", "s", "t", NOW) == "no_consent"
    assert send_marketing_email(store, delivery(outbox), "noaddr", "s", "t", NOW) == "no_address"
    assert send_marketing_email(store, delivery(outbox), "nobody", "s", "t", NOW) == "no_address"
    assert send_marketing_email(store, delivery(outbox, sender=""), "in", "s", "t", NOW) == "not_configured"
    assert send_marketing_email(store, delivery(outbox, url=""), "in", "s", "t", NOW) == "not_configured"
    assert outbox.sent == []


def test_the_stage_delivery_reads_no_secret_when_it_cannot_send():
    from dataclasses import replace

    s = replace(
        get_settings(),
        stage="prod",
        ses_sender="",
        public_api_url="",
        unsubscribe_secret=None,
        unsubscribe_secret_name=None,
    )
    d = MarketingDelivery.from_settings(s)
    assert not d.configured and d.keys == ()
    d = MarketingDelivery.from_settings(
        replace(s, ses_sender="news@shop.test", public_api_url="https://api.shop.test", unsubscribe_secret="a b")
    )
    assert d.configured and d.keys == ("a", "b") and d.unsubscribe_url == "https://api.shop.test/v1/unsubscribe"


# ---- a campaign's delivery ----------------------------------------------------------------------------------

NID = notification_id("campaign:cmp_1", NOW)


def deliver(store, d, user_id="u1", at=NOW):
    return deliver_marketing(store, d, user_id, NID, "Spring offer", "Top up today", {"campaign_id": "cmp_1"}, at)


def test_a_delivery_puts_the_notification_once_and_sends_the_e_mail_once():
    store, outbox = FakeLedgerStore(), Outbox()
    customer(store)
    assert deliver(store, delivery(outbox)) == {"inbox": True, "email": "email"}
    assert deliver(store, delivery(outbox), at=NOW + timedelta(minutes=5)) == {"inbox": False, "email": "already_sent"}
    assert len(outbox.sent) == 1
    [n] = [n for (u, _), n in store.notifications.items() if u == "u1"]
    assert (n.notification_id, n.type, n.title, n.data) == (NID, "campaign", "Spring offer", {"campaign_id": "cmp_1"})
    assert n.email_status == EMAIL_SENT


def test_an_opted_out_customer_gets_the_inbox_notification_and_no_e_mail():
    store, outbox = FakeLedgerStore(), Outbox()
    customer(store, marketing_email=False)
    assert deliver(store, delivery(outbox)) == {"inbox": True, "email": "no_consent"}
    assert deliver(store, delivery(outbox)) == {"inbox": False, "email": "no_consent"}
    assert outbox.sent == [] and len(store.notifications) == 1


def test_a_failed_send_is_sent_by_the_retry_unless_the_customer_unsubscribed_meanwhile():
    store, outbox = FakeLedgerStore(), Outbox(fail=1)
    customer(store)
    with pytest.raises(RuntimeError):
        deliver(store, delivery(outbox))
    assert store.notifications[("u1", NID)].email_status == EMAIL_PENDING
    assert deliver(store, delivery(outbox)) == {"inbox": False, "email": "email"}
    assert len(outbox.sent) == 1

    other, outbox = FakeLedgerStore(), Outbox(fail=1)
    customer(other)
    with pytest.raises(RuntimeError):
        deliver(other, delivery(outbox))
    unsubscribe(other, "CNY", [KEY], sign_token(KEY, "u1", NOW), NOW)
    assert deliver(other, delivery(outbox)) == {"inbox": False, "email": "no_consent"}
    assert outbox.sent == []


def test_a_notification_delivered_without_e_mail_is_not_e_mailed_by_a_retry():
    store, outbox = FakeLedgerStore(), Outbox()
    customer(store, email=None)
    assert deliver(store, delivery(outbox)) == {"inbox": True, "email": "no_address"}
    store.wallets["u1"] = Wallet("u1", "CNY", reminders=ReminderSettings(email="later@example.com"))
    assert deliver(store, delivery(outbox)) == {"inbox": False, "email": "not_emailed"}
    assert outbox.sent == []


def test_a_delivery_needs_a_notification_id_of_the_inbox():
    with pytest.raises(ValueError):
        deliver_marketing(FakeLedgerStore(), delivery(Outbox()), "u1", "campaign:1", "t", "b", {}, NOW)
