"""Marketing e-mail on the local stack: consent over HTTP, a campaign's message delivered by the app's code with the
stack's settings (a process of its own, as the campaign function runs it), the e-mails read back from what moto's
SES kept, and their unsubscribe links followed over HTTP without a login: once, again (already unsubscribed), and
forged (refused, nothing changed); the RFC 8058 one-click POST too."""

from __future__ import annotations

import email
import json
import os
import subprocess
import sys
import urllib.request
import uuid
from datetime import datetime, timezone
from email import policy
from typing import Any

import pytest

from chalicelib.domain.notifications import notification_id
from chalicelib.services.marketing import sign_token
from dev.stack import ROOT, app_environment

pytestmark = pytest.mark.e2e

# a campaign's deliveries, as the campaign function makes them: the app's code, the stack's environment
DELIVER = """
import json, sys
from chalicelib import bootstrap
from chalicelib.config import get_settings
from chalicelib.services import clock
from chalicelib.services.marketing import MarketingDelivery, deliver_marketing

delivery = MarketingDelivery.from_settings(get_settings())
print(json.dumps([
    deliver_marketing(bootstrap.store(), delivery, d["user_id"], d["notification_id"], d["title"], d["body"],
                      {"campaign_id": d["campaign_id"]}, clock.now())
    for d in json.load(sys.stdin)
]))
"""


def campaign() -> tuple[str, str]:
    """A campaign's id and the notification id its run gives every member (derived once, from its start)."""
    campaign_id = f"cmp_{uuid.uuid4().hex[:12]}"
    return campaign_id, notification_id(f"campaign:{campaign_id}", datetime.now(timezone.utc))


def deliver(info, run: tuple[str, str], users) -> list[dict[str, Any]]:
    campaign_id, nid = run
    batch = [
        {
            "user_id": u.user_id,
            "notification_id": nid,
            "title": "Spring offer",
            "body": "Top up 200, get 20 bonus.",
            "campaign_id": campaign_id,
        }
        for u in users
    ]
    done = subprocess.run(
        [sys.executable, "-c", DELIVER],
        cwd=ROOT,
        input=json.dumps(batch),
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **app_environment(info), "POWERTOOLS_LOG_LEVEL": "WARNING", "PYTHONPATH": str(ROOT)},
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def raw_emails_to(info, address: str) -> list[Any]:
    data = json.loads(urllib.request.urlopen(f"{info.aws_endpoint}/moto-api/data.json", timeout=30).read())
    return [
        email.message_from_string(m["raw_data"], policy=policy.default)
        for m in data["ses"].get("RawMessage", [])
        if any(address in d for d in m["destinations"])
    ]


def wallet_item(ddb, info, user) -> dict[str, Any]:
    return ddb.get_item(
        TableName=info.table, Key={"pk": {"S": f"W#{user.user_id}"}, "sk": {"S": "WALLET"}}, ConsistentRead=True
    )["Item"]


def customer(api, prefix: str, marketing: bool | None = None):
    user = api.unique_user(prefix)
    address = f"{user.name}@example.com"
    body: dict[str, Any] = {"reminders": {"email": address}}
    if marketing is not None:
        body["marketing"] = {"email": marketing}
    r = api.request("PUT", "/v1/wallet/settings", user, body)
    assert r.status_code == 200, r.text
    return user, address


def public(api, method: str, link: str, **kw):
    """A request with no Authorization header at all (the link of an e-mail, clicked)."""
    return api.http.request(method, link, timeout=30, **kw)


def test_marketing_consent_is_on_by_default_and_the_settings_turn_it_off(api):
    user = api.unique_user("mkt-default")
    assert api.get("/v1/wallet", user).json()["marketing"] == {"email": True}
    r = api.request("PUT", "/v1/wallet/settings", user, {"marketing": {"email": False}})
    assert r.status_code == 200, r.text
    assert r.json()["marketing"] == {"email": False}
    assert r.json()["reminders"]["low_balance"] is True  # the reminders are not marketing: untouched
    assert api.get("/v1/wallet", user).json()["marketing"] == {"email": False}
    bad = api.request("PUT", "/v1/wallet/settings", user, {"marketing": {"email": "off"}})
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "invalid_request", bad.text
    assert api.get("/v1/wallet", user).json()["marketing"] == {"email": False}


def test_an_opted_out_customer_gets_no_e_mail_and_a_link_unsubscribes_once_without_login(api, ddb, local_stack):
    keen, keen_address = customer(api, "mkt-keen")
    out, out_address = customer(api, "mkt-out", marketing=False)
    run = campaign()

    assert deliver(local_stack, run, [keen, out]) == [
        {"inbox": True, "email": "email"},
        {"inbox": True, "email": "no_consent"},
    ]
    # the same deliveries again (a retried batch): nothing written, nothing sent twice
    assert deliver(local_stack, run, [keen, out]) == [
        {"inbox": False, "email": "already_sent"},
        {"inbox": False, "email": "no_consent"},
    ]
    assert raw_emails_to(local_stack, out_address) == []
    [message] = raw_emails_to(local_stack, keen_address)
    # both have the message in their inbox
    for user in (keen, out):
        items = api.get("/v1/notifications", user).json()["items"]
        assert [(n["type"], n["title"], n["data"]) for n in items] == [
            ("campaign", "Spring offer", {"campaign_id": run[0]})
        ]

    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    header = message["List-Unsubscribe"]
    assert header.startswith(f"<{local_stack.api_url}/v1/unsubscribe?token=") and header.endswith(">"), header
    link = header[1:-1]
    assert link in message.get_content()

    # the link, clicked: no login
    first = public(api, "GET", link)
    assert first.status_code == 200, first.text
    assert first.json()["status"] == "unsubscribed" and first.json()["marketing"] == {"email": False}
    assert api.get("/v1/wallet", keen).json()["marketing"] == {"email": False}
    item = wallet_item(ddb, local_stack, keen)
    # clicked again: no error, and nothing written
    again = public(api, "GET", link)
    assert again.status_code == 200, again.text
    assert again.json()["status"] == "already_unsubscribed"
    assert wallet_item(ddb, local_stack, keen) == item

    # the next campaign reaches the inbox only
    assert deliver(local_stack, campaign(), [keen]) == [{"inbox": True, "email": "no_consent"}]
    assert len(raw_emails_to(local_stack, keen_address)) == 1


def test_a_forged_or_garbled_token_is_refused_and_changes_nothing(api, ddb, local_stack):
    user, _ = customer(api, "mkt-forged")
    before = wallet_item(ddb, local_stack, user)
    forged = sign_token("a-key-this-stack-never-had", user.user_id, datetime.now(timezone.utc))
    expired = sign_token(local_stack.unsubscribe_secret, user.user_id, datetime(2024, 1, 1, tzinfo=timezone.utc))
    url = f"{local_stack.api_url}/v1/unsubscribe"
    for token, code in (
        (forged, "invalid_unsubscribe_token"),
        (forged[:-2], "invalid_unsubscribe_token"),
        ("garbled", "invalid_unsubscribe_token"),
        (expired, "unsubscribe_token_expired"),
    ):
        for method in ("GET", "POST"):
            r = public(
                api,
                method,
                url,
                params={"token": token},
                data=b"List-Unsubscribe=One-Click" if method == "POST" else None,
                headers={"Content-Type": "application/x-www-form-urlencoded"} if method == "POST" else {},
            )
            assert r.status_code == 400, (method, token, r.text)
            error = r.json()["error"]
            assert error["code"] == code and error["message"], (method, token, error)
    missing = public(api, "GET", url)
    assert missing.status_code == 400 and missing.json()["error"]["code"] == "invalid_request", missing.text
    assert wallet_item(ddb, local_stack, user) == before
    assert api.get("/v1/wallet", user).json()["marketing"] == {"email": True}


def test_the_one_click_post_unsubscribes_and_wants_its_body(api, ddb, local_stack):
    user, _ = customer(api, "mkt-oneclick")
    token = sign_token(local_stack.unsubscribe_secret, user.user_id, datetime.now(timezone.utc))
    url = f"{local_stack.api_url}/v1/unsubscribe"
    before = wallet_item(ddb, local_stack, user)
    no_body = public(api, "POST", url, params={"token": token})
    assert no_body.status_code == 400 and no_body.json()["error"]["code"] == "invalid_one_click_request", no_body.text
    assert wallet_item(ddb, local_stack, user) == before

    r = public(
        api,
        "POST",
        url,
        params={"token": token},
        data=b"List-Unsubscribe=One-Click",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "unsubscribed"
    assert api.get("/v1/wallet", user).json()["marketing"] == {"email": False}
    again = public(  # the provider retries, or the customer clicks the link too
        api,
        "POST",
        url,
        params={"token": token},
        data=b"List-Unsubscribe=One-Click",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert again.status_code == 200 and again.json()["status"] == "already_unsubscribed", again.text
