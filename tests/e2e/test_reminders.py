"""Reminders and the inbox on the local stack: settings over HTTP, the forecast in the wallet, the inbox's
listing, cursor, unread filter and read marks, the lifecycle consumer given the same event twice, and the
daily job reminding a customer once a week. E-mail is read back from what moto's SES kept."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.request
import uuid
from datetime import date, datetime, timedelta, timezone
from typing import Any

import pytest

from dev.stack import ROOT, app_environment

pytestmark = pytest.mark.e2e


def invoke(info, function: str, event: dict[str, Any] | None = None, at: str | None = None) -> dict[str, Any]:
    """Run one of the app's functions in a fresh process with the app's environment, as Lambda would."""
    args = [sys.executable, "-m", "dev.invoke", function, "--here", *(["--at", at] if at else [])]
    done = subprocess.run(
        args,
        cwd=ROOT,
        input=json.dumps(event or {}),
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **app_environment(info), "POWERTOOLS_LOG_LEVEL": "WARNING"},
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def emails_to(info, address: str) -> list[dict[str, Any]]:
    data = json.loads(urllib.request.urlopen(f"{info.aws_endpoint}/moto-api/data.json", timeout=30).read())
    return [m for m in data["ses"]["Message"] if address in m["destinations"]["ToAddresses"]]


def bus_event(detail_type: str, detail: dict[str, Any]) -> dict[str, Any]:
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": detail_type,
        "source": "store-balance",
        "account": "123456789012",
        "time": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": "us-east-1",
        "resources": [],
        "detail": detail,
    }


def wallet_item(ddb, info, user) -> dict[str, Any]:
    return ddb.get_item(
        TableName=info.table, Key={"pk": {"S": f"W#{user.user_id}"}, "sk": {"S": "WALLET"}}, ConsistentRead=True
    )["Item"]


def set_spend_days(ddb, info, user, spend: dict[str, int]) -> None:
    """The per-day spend payments keep on the wallet, written behind the API's back for a known pace."""
    ddb.update_item(
        TableName=info.table,
        Key={"pk": {"S": f"W#{user.user_id}"}, "sk": {"S": "WALLET"}},
        UpdateExpression="SET spend_days = :s",
        ExpressionAttributeValues={":s": {"S": json.dumps(spend)}},
    )


def put_settings(api, user, body: dict[str, Any]):
    return api.request("PUT", "/v1/wallet/settings", user, body)


# ---- settings and the wallet view -------------------------------------------------------------------


def test_reminder_settings_have_defaults_and_change_only_what_is_sent(api, ddb, local_stack):
    user = api.unique_user("remind-settings")
    wallet = api.get("/v1/wallet", user).json()
    assert wallet["reminders"] == {"low_balance": True, "run_out_days": None, "bonus_expiry_days": 3, "email": None}
    assert wallet["forecast"] == {"daily_spend": 0, "runs_out_on": None}

    r = put_settings(api, user, {"reminders": {"run_out_days": 7, "email": "shopper@example.com"}})
    assert r.status_code == 200, r.text
    assert r.json()["reminders"] == {
        "low_balance": True,
        "run_out_days": 7,
        "bonus_expiry_days": 3,
        "email": "shopper@example.com",
    }
    assert "remind_shard" in wallet_item(ddb, local_stack, user)  # listed for the daily run-out check

    r = put_settings(api, user, {"low_balance_threshold": 800})  # the old body: reminders are kept
    assert r.status_code == 200 and r.json()["low_balance_threshold"] == 800
    assert r.json()["reminders"]["run_out_days"] == 7

    r = put_settings(api, user, {"reminders": {"run_out_days": None, "bonus_expiry_days": None, "low_balance": False}})
    assert r.status_code == 200, r.text
    assert r.json()["reminders"] == {
        "low_balance": False,
        "run_out_days": None,
        "bonus_expiry_days": None,
        "email": "shopper@example.com",
    }
    assert r.json()["low_balance_threshold"] == 800
    assert "remind_shard" not in wallet_item(ddb, local_stack, user)
    assert api.get("/v1/wallet", user).json()["reminders"] == r.json()["reminders"]


def test_a_settings_write_does_not_disturb_the_money(api):
    user = api.unique_user("remind-money")
    api.fund(user, 5000)
    assert api.pay(user, 1200).status_code == 201
    before = api.get("/v1/wallet", user).json()
    r = put_settings(api, user, {"reminders": {"run_out_days": 3}})
    assert r.status_code == 200
    assert r.json()["balance"] == before["balance"] == {"cash": 3800, "bonus": 0, "total": 3800}
    assert api.pay(user, 800).status_code == 201  # the wallet's version was not disturbed
    assert api.balance(user)["total"] == 3000


def test_the_wallet_shows_when_the_balance_runs_out_at_the_recent_pace(api, ddb, local_stack):
    user = api.unique_user("remind-forecast")
    api.fund(user, 10_000)
    today = datetime.now(timezone.utc).date()
    set_spend_days(
        ddb,
        local_stack,
        user,
        {
            (today - timedelta(days=1)).isoformat(): 1000,
            today.isoformat(): 1001,
            (today - timedelta(days=40)).isoformat(): 9,
        },
    )
    # 2001 over 2 days: 1000.5 -> 1001 a day; 10000 // 1001 = 9 days
    assert api.get("/v1/wallet", user).json()["forecast"] == {
        "daily_spend": 1001,
        "runs_out_on": (today + timedelta(days=9)).isoformat(),
    }


# ---- the inbox --------------------------------------------------------------------------------


def test_the_inbox_lists_newest_first_pages_filters_unread_and_marks_read(api, local_stack):
    user, other = api.unique_user("inbox"), api.unique_user("inbox-other")
    for n in range(3):
        out = invoke(
            local_stack,
            "lifecycle",
            bus_event(
                "payment.succeeded",
                {"user_id": user.user_id, "payment_id": f"pay_inbox{n}", "merchant_id": "m-e2e", "amount": 100 + n},
            ),
        )
        assert out["created"] is True, out

    page = api.get("/v1/notifications", user, params={"limit": 2}).json()
    assert [i["data"]["payment_id"] for i in page["items"]] == ["pay_inbox2", "pay_inbox1"]
    assert page["unread_count"] == 3 and page["next_cursor"]
    first = page["items"][0]
    assert first["type"] == "feedback_prompt" and first["read_at"] is None and first["title"] and first["body"]
    rest = api.get("/v1/notifications", user, params={"limit": 2, "cursor": page["next_cursor"]}).json()
    assert [i["data"]["payment_id"] for i in rest["items"]] == ["pay_inbox0"] and rest["next_cursor"] is None

    read = api.post(f"/v1/notifications/{first['notification_id']}/read", user)
    assert read.status_code == 200, read.text
    assert read.json()["read_at"] and read.json()["notification_id"] == first["notification_id"]
    again = api.post(f"/v1/notifications/{first['notification_id']}/read", user)
    assert again.status_code == 200 and again.json()["read_at"] == read.json()["read_at"]

    unread = api.get("/v1/notifications", user, params={"unread": "true"}).json()
    assert [i["data"]["payment_id"] for i in unread["items"]] == ["pay_inbox1", "pay_inbox0"]
    assert unread["unread_count"] == 2

    theirs = api.post(f"/v1/notifications/{first['notification_id']}/read", other)
    assert theirs.status_code == 404 and theirs.json()["error"]["code"] == "notification_not_found"
    assert api.get("/v1/notifications", other).json() == {
        "user_id": other.user_id,
        "items": [],
        "next_cursor": None,
        "unread_count": 0,
    }
    missing = api.post("/v1/notifications/ntf_000000000000aaaaaaaaaaaaaaaa/read", user)
    assert missing.status_code == 404


def test_the_same_payment_prompts_for_feedback_once(api, local_stack):
    user = api.unique_user("inbox-once")
    event = bus_event(
        "payment.succeeded", {"user_id": user.user_id, "payment_id": "pay_once", "merchant_id": "m1", "amount": 500}
    )
    assert invoke(local_stack, "lifecycle", event)["created"] is True
    assert invoke(local_stack, "lifecycle", {**event, "id": str(uuid.uuid4())})["created"] is False
    assert len(api.get("/v1/notifications", user).json()["items"]) == 1


# ---- low balance: the consumer given the same event twice -------------------------------------------


def test_the_same_balance_low_event_twice_makes_one_notification_and_one_email(api, local_stack):
    user = api.unique_user("low")
    address = f"{user.name}@example.com"
    assert put_settings(api, user, {"low_balance_threshold": 1000, "reminders": {"email": address}}).status_code == 200
    detail = {
        "event_id": f"W#{user.user_id}#WALLET#5",
        "user_id": user.user_id,
        "balance": 900,
        "threshold": 1000,
        "wallet_version": 5,
        "occurred_at": "2026-11-25T00:59:00.000Z",
    }
    event = bus_event("wallet.balance_low", detail)

    first = invoke(local_stack, "lifecycle", event)
    second = invoke(local_stack, "lifecycle", event)  # a redelivery

    assert first["created"] is True and first["email"] == "sent", first
    assert second["created"] is False and second["email"] == "already_sent", second
    assert second["notification_id"] == first["notification_id"]
    items = api.get("/v1/notifications", user).json()["items"]
    assert [(i["type"], i["data"]["balance"], i["data"]["threshold"]) for i in items] == [("low_balance", 900, 1000)]
    mails = emails_to(local_stack, address)
    assert len(mails) == 1 and "¥9.00" in mails[0]["body"] and mails[0]["subject"] == items[0]["title"]


def test_no_low_balance_notification_when_the_customer_turned_it_off(api, local_stack):
    user = api.unique_user("low-off")
    assert put_settings(api, user, {"reminders": {"low_balance": False}}).status_code == 200
    out = invoke(
        local_stack,
        "lifecycle",
        bus_event(
            "wallet.balance_low",
            {
                "event_id": f"W#{user.user_id}#1",
                "user_id": user.user_id,
                "balance": 1,
                "threshold": 2,
                "wallet_version": 1,
                "occurred_at": "2026-11-25T00:00:00.000Z",
            },
        ),
    )
    assert "skipped" in out
    assert api.get("/v1/notifications", user).json()["items"] == []


# ---- the daily job ---------------------------------------------------------------------------


def test_the_daily_job_reminds_of_a_coming_run_out_once_a_week(api, ddb, local_stack):
    user = api.unique_user("runout")
    address = f"{user.name}@example.com"
    api.fund(user, 3000)
    assert put_settings(api, user, {"reminders": {"run_out_days": 7, "email": address}}).status_code == 200
    wednesday = date(2026, 11, 25)
    set_spend_days(ddb, local_stack, user, {(wednesday - timedelta(days=1)).isoformat(): 1000})  # 500 a day: 6 days

    first = invoke(local_stack, "remind", at="2026-11-25T01:00:00Z")
    # Friday: the same pace (it would run out on 2 December), the same ISO week: no second reminder
    set_spend_days(ddb, local_stack, user, {"2026-11-26": 1000})
    friday = invoke(local_stack, "remind", at="2026-11-27T01:00:00Z")
    monday = wednesday + timedelta(days=5)
    set_spend_days(ddb, local_stack, user, {(monday - timedelta(days=1)).isoformat(): 1000})
    next_week = invoke(local_stack, "remind", at="2026-11-30T01:00:00Z")

    assert first["run_out"]["notified"] >= 1 and first["day"] == "2026-11-25"
    items = api.get("/v1/notifications", user).json()["items"]
    assert [(i["type"], i["data"]["runs_out_on"]) for i in items] == [
        ("run_out", "2026-12-06"),
        ("run_out", "2026-12-01"),
    ]
    assert items[1]["data"]["suggested_topup"] == 20000  # 30 days at 500 = 15000 beyond a 3000 balance
    assert "2026-12-01" in items[1]["body"]
    assert len(emails_to(local_stack, address)) == 2  # Wednesday's and Monday's, not Friday's
    assert friday["day"] == "2026-11-27" and next_week["day"] == "2026-11-30"


def test_the_daily_job_reminds_of_bonus_about_to_expire_once_per_grant(api, ddb, local_stack):
    user = api.unique_user("bonus-due")
    api.grant_bonus(user, 1000)  # a real entry; its 1000 are given expiries below (the grants must sum to the lot)
    now = datetime.now(timezone.utc).replace(microsecond=0)
    soon = (now + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M:%SZ")
    later = (now + timedelta(days=20)).strftime("%Y-%m-%dT%H:%M:%SZ")
    # the wallet's bonus as two expiring grants, listed in the bonus-due index (as a plan's top-up writes them)
    ddb.update_item(
        TableName=local_stack.table,
        Key={"pk": {"S": f"W#{user.user_id}"}, "sk": {"S": "WALLET"}},
        UpdateExpression="SET bonus_grants = :g, bonus_shard = :s, bonus_due = :d",
        ExpressionAttributeValues={
            ":g": {"S": json.dumps([["g-soon", 300, soon, "plan"], ["g-later", 700, later, "plan"]])},
            ":s": {"S": "0"},
            ":d": {"S": soon},
        },
    )
    first = invoke(local_stack, "remind", at=now.strftime("%Y-%m-%dT%H:%M:%SZ"))
    next_day = invoke(local_stack, "remind", at=(now + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ"))
    assert first["bonus_expiry"]["notified"] >= 1 and next_day["bonus_expiry"]["listed"] >= 1
    items = api.get("/v1/notifications", user).json()["items"]
    assert [(i["type"], i["data"]["grant_id"], i["data"]["amount"]) for i in items] == [("bonus_expiry", "g-soon", 300)]


# ---- the whole path: a payment, the stream, the bus, the consumer -----------------------------------


def wait_for(fetch, done, timeout: float = 60.0):
    import time

    deadline = time.monotonic() + timeout
    while True:
        value = fetch()
        if done(value) or time.monotonic() > deadline:
            return value
        time.sleep(0.2)


def test_a_payment_that_takes_the_balance_below_the_threshold_reminds_once_per_dip(api, local_stack):
    user = api.unique_user("dip")
    address = f"{user.name}@example.com"
    api.fund(user, 2000)
    assert put_settings(api, user, {"low_balance_threshold": 1000, "reminders": {"email": address}}).status_code == 200

    def inbox():
        return api.get("/v1/notifications", user, params={"limit": 100}).json()["items"]

    def of_type(items, kind):
        return [i for i in items if i["type"] == kind]

    assert api.pay(user, 1500).status_code == 201  # 2000 -> 500: below 1000
    assert api.pay(user, 100).status_code == 201  # 500 -> 400: still below, no second reminder
    # the feedback prompts of both payments travel the same path: once both are in, so is any low-balance one
    items = wait_for(
        inbox, lambda items: len(of_type(items, "feedback_prompt")) == 2 and len(of_type(items, "low_balance")) >= 1
    )
    assert len(of_type(items, "feedback_prompt")) == 2, items
    [low] = of_type(items, "low_balance")
    assert (low["data"]["balance"], low["data"]["threshold"]) == (500, 1000)
    assert len(wait_for(lambda: emails_to(local_stack, address), lambda m: len(m) >= 1)) == 1

    api.fund(user, 1000)  # back to 1400: re-armed
    assert api.pay(user, 600).status_code == 201  # 1400 -> 800: a new dip
    items = wait_for(
        inbox, lambda items: len(of_type(items, "low_balance")) == 2 and len(of_type(items, "feedback_prompt")) == 3
    )
    assert [i["data"]["balance"] for i in of_type(items, "low_balance")] == [800, 500]
