"""Campaigns over the local stack: a campaign on a segment of 200 customers with a 10 % holdout gives each
treated customer the coupon once and the holdout nothing, even when its schedule fires twice; its counts add up;
it is measured when asked, by the job the bus starts."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid
from datetime import timedelta

import jsonschema
import pytest

# the promotions' helpers and fixtures (the scheduler, its group, the function's invoke): a test's parameters
# named after them are those fixtures, which ruff reads as redefinitions
# ruff: noqa: F811
from chalicelib.events.catalogue import SCHEMAS
from tests.e2e.test_promotions import group, invoke, iso, scheduler, utc_now, wait_fired  # noqa: F401
from tests.e2e.test_segments import coupon_holders

pytestmark = pytest.mark.e2e


def ok(r, status: int = 200):
    assert r.status_code == status, r.text
    return r.json()


def seed_segment(info, segment: str, users: list[str], run_id: str = "run-e2e-campaign", **fields) -> None:
    """The customers in ``segment``, as a segmentation run leaves their profiles (what the run computes is
    tests/e2e/test_segments.py's; here it is only the campaign's starting point); ``fields`` are more of each
    profile's fields."""
    from dev.stack import ROOT, app_environment

    profiles = [{"user_id": u, "segment": segment, "balance": 0, **fields} for u in users]
    script = (
        "import json, sys\n"
        "from chalicelib import bootstrap\n"
        "from chalicelib.services import clock\n"
        "print(bootstrap.profile_store().put_profiles(json.loads(sys.stdin.read()), sys.argv[1], clock.stamp()))"
    )
    out = subprocess.run(
        [sys.executable, "-c", script, run_id],
        cwd=ROOT,
        input=json.dumps(profiles),
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **app_environment(info), "PYTHONPATH": str(ROOT)},
    )
    assert out.returncode == 0, out.stderr[-3000:]
    assert int(out.stdout.strip().splitlines()[-1]) == len(users)


def test_a_campaign_grants_each_treated_member_once_and_the_holdout_nothing(
    api, ddb, local_stack, scheduler, group, invoke
):
    from chalicelib.domain.campaigns import HOLDOUT, group_of, salt_for

    admin = api.admin()
    users = [f"u-cmp-e2e-{uuid.uuid4().hex[:10]}" for _ in range(200)]
    seed_segment(local_stack, "loyal", users)
    definition_id = f"cd-cmp-{uuid.uuid4().hex[:8]}"
    terms = {
        "name": "thank you",
        "kind": "amount_off",
        "value": 300,
        "min_spend": 0,
        "valid_from": "2026-01-01T00:00:00Z",
        "valid_to": "2099-01-01T00:00:00Z",
        "per_customer_limit": 3,
    }
    assert api.request("PUT", f"/v1/coupon-definitions/{definition_id}", admin, terms).status_code == 200
    body = {
        "name": "loyal thanks",
        "segment": "loyal",
        "action": {"kind": "grant_coupon", "definition_id": definition_id},
        "holdout_percent": 10,
        "run_at": iso(utc_now() + timedelta(seconds=2)),
        "measure_days": 7,
    }
    key = str(uuid.uuid4())
    made = ok(api.post("/v1/admin/campaigns", admin, body, key=key), 201)
    again = ok(api.post("/v1/admin/campaigns", admin, body, key=key), 201)  # a retried creation: the same one
    assert again["campaign_id"] == made["campaign_id"] and made["status"] == "scheduled"
    campaign_id = made["campaign_id"]
    assert {f"{campaign_id}-run", f"{campaign_id}-measure"} <= {
        s["Name"] for s in scheduler.list_schedules(GroupName=group)["Schedules"]
    }

    wait_fired(scheduler, group, f"{campaign_id}-run", timeout=90)  # by the stack, at its time
    deadline = time.monotonic() + 120
    while (c := ok(api.get(f"/v1/admin/campaigns/{campaign_id}", admin)))["status"] != "completed":
        assert time.monotonic() < deadline, c
        time.sleep(0.5)
    invoke("store-balance-local-promotions", {"campaign_id": campaign_id, "action": "run"})  # fired twice

    salt = salt_for(campaign_id)
    held = {u for u in users if group_of(salt, u, 10) == HOLDOUT}
    treated = set(users) - held
    assert 5 <= len(held) <= 40
    holders = coupon_holders(ddb, local_stack.table, definition_id)
    assert len(holders) == len(set(holders))  # nobody twice
    assert treated <= set(holders) and not held & set(holders)
    c = ok(api.get(f"/v1/admin/campaigns/{campaign_id}", admin))
    assert c["targeted"] == c["treated"] + c["holdout"] and c["delivered"] + c["failed"] == c["treated"]
    assert c["treated"] >= len(treated) and c["holdout"] >= len(held)  # the segment's other members count too
    assert c["delivered"] == len(holders)
    listed = ok(api.get("/v1/admin/campaigns", admin))["campaigns"]
    assert campaign_id in [x["campaign_id"] for x in listed]
    # a campaign that has run cannot be cancelled
    refused = api.request("DELETE", f"/v1/admin/campaigns/{campaign_id}", admin)
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "campaign_started"

    # measured now: the bus's consumer runs the analysis over the export
    ok(api.post(f"/v1/admin/campaigns/{campaign_id}/measurements", admin, {}), 202)
    deadline = time.monotonic() + 120
    while (m := ok(api.get(f"/v1/admin/campaigns/{campaign_id}", admin))["measurement"])["state"] != "succeeded":
        assert m["state"] in ("queued", "running") and time.monotonic() < deadline, m
        time.sleep(0.5)
    assert m["window"]["complete"] is False and m["groups"]["treated"]["customers"] == c["treated"]
    assert m["groups"]["holdout"]["customers"] == c["holdout"]


def test_a_message_campaign_e_mails_who_allows_it_and_only_the_inbox_of_who_opted_out(
    api, local_stack, scheduler, group, bus_events
):
    from tests.e2e.test_unsubscribe import customer, public, raw_emails_to

    admin = api.admin()
    keen, keen_address = customer(api, "cmp-keen")
    shy, shy_address = customer(api, "cmp-shy", marketing=False)
    seed_segment(local_stack, "inactive", [keen.user_id, shy.user_id])
    body = {
        "name": "balance news",
        "segment": "inactive",
        "action": {"kind": "notify", "title": "Your balance", "body": "pays in one tap"},
        "holdout_percent": 0,
    }
    made = ok(api.post("/v1/admin/campaigns", admin, body, key=str(uuid.uuid4())), 201)
    wait_fired(scheduler, group, f"{made['campaign_id']}-run", timeout=90)
    deadline = time.monotonic() + 120
    while (done := ok(api.get(f"/v1/admin/campaigns/{made['campaign_id']}", admin)))["status"] != "completed":
        assert time.monotonic() < deadline
        time.sleep(0.5)
    # both delivered, the one who opted out to the inbox only: counted so, in the view and on the bus
    assert (done["delivered"], done["inbox_only"], done["failed"]) == (2, 1, 0)
    [completed] = bus_events.wait_for("campaign.completed", timeout=60, campaign_id=made["campaign_id"])
    assert {k: completed["detail"][k] for k in ("delivered", "inbox_only")} == {"delivered": 2, "inbox_only": 1}
    [started] = bus_events.wait_for("campaign.started", timeout=60, campaign_id=made["campaign_id"])
    assert started["detail"]["occurred_at"] <= completed["detail"]["occurred_at"]
    for event in (started, completed):  # as the catalogue documents them
        jsonschema.validate(event["detail"], SCHEMAS[event["detail-type"]])
    for user in (keen, shy):  # both inboxes have it, once
        items = ok(api.get("/v1/notifications", user))["items"]
        assert [i["title"] for i in items if i["type"] == "campaign"] == ["Your balance"]
    assert raw_emails_to(local_stack, shy_address) == []  # opted out: no e-mail
    [mail] = raw_emails_to(local_stack, keen_address)
    assert mail["Subject"] == "Your balance" and mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    link = mail["List-Unsubscribe"].strip("<>")
    assert ok(public(api, "GET", link))["status"] == "unsubscribed"  # the link works without a login
    assert ok(api.get("/v1/wallet", keen))["marketing"] == {"email": False}
