"""Segments over the local stack: a customer with a known history has exactly the F and M the ledger holds,
a browser who never pays is a browser, and the run's changes of segment reach the bus."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid

from datetime import timedelta

import pytest

# the promotions' helpers and fixtures (the scheduler, its group, the function's invoke, the shop): a test's
# parameters named after them are those fixtures, which ruff reads as redefinitions
# ruff: noqa: F811
from tests.e2e.test_promotions import create, group, invoke, iso, scheduler, shop, utc_now, wait_fired  # noqa: F401

pytestmark = pytest.mark.e2e


def ok(r, status: int = 200):
    assert r.status_code == status, r.text
    return r.json()


def segment_now(info) -> dict:
    """`make segment`, against this stack."""
    from dev.stack import ROOT, app_environment

    script = (
        "import json\n"
        "from chalicelib.handlers.segmentation import run_segmentation\n"
        "print(json.dumps(run_segmentation()))"
    )
    out = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=180,
        env={**os.environ, **app_environment(info), "PYTHONPATH": str(ROOT)},
    )
    assert out.returncode == 0, out.stderr[-3000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_a_run_profiles_customers_from_what_they_did(api, bus_events, local_stack):
    payer, browser = api.unique_user("seg-payer"), api.unique_user("seg-browser")
    api.fund(payer, 10_000)
    amounts = [1200, 800, 450]
    for amount in amounts:
        ok(api.pay(payer, amount), 201)
    visits = [{"type": "login"}] * 3 + [
        {"type": "view_product", "props": {"sku": f"s{i}", "category": "tea", "merchant_id": "m-e2e"}} for i in range(3)
    ]
    ok(api.post("/v1/events", browser, {"events": visits}), 202)
    # the run reads the export: wait until the payer's payments are in it
    bus_events.wait_for("payment.succeeded", timeout=60, user_id=payer.user_id)
    admin = api.admin()
    deadline = time.monotonic() + 60
    while True:
        done = segment_now(local_stack)
        profile = ok(api.get(f"/v1/admin/customers/{payer.user_id}/profile", admin))
        if (profile["rfm"] or {}).get("frequency") == len(amounts) or time.monotonic() > deadline:
            break
        time.sleep(1)
    assert done["state"] == "succeeded"
    assert profile["rfm"]["frequency"] == 3 and profile["rfm"]["monetary"] == sum(amounts)
    assert profile["rfm"]["recency_days"] == 0 and profile["balance"] == 10_000 - sum(amounts)
    # paid today: no payer is more recent, so R is at least the middle score; its group depends on the others
    assert profile["rfm"]["r_score"] >= 3 and profile["frequency_class"] == "medium"
    assert profile["segment"] in ("new", "champions", "loyal", "promising", "needs_attention")
    assert profile["run_id"] == done["run_id"]
    seen = ok(api.get(f"/v1/admin/customers/{browser.user_id}/profile", admin))
    assert seen["segment"] == "browsers_not_payers" and seen["rfm"] is None and seen["top_categories"] == ["tea"]
    # the segments of the run, and the customer's entry into one, on the bus
    listed = ok(api.get("/v1/admin/segments", admin))
    assert listed["run_id"] == done["run_id"]
    sizes = {s["name"]: s["size"] for s in listed["segments"]}
    assert sizes["browsers_not_payers"] >= 1 and sum(sizes.values()) == done["customers"]
    # the run that entered it is this one or an earlier one (the loop above may run more than once, and any run
    # on the stack profiles every customer in the export): once, and a run the history lists
    [entered] = bus_events.wait_for("segment.entered", timeout=60, user_id=browser.user_id)
    history = ok(api.get("/v1/admin/segments/history", admin))
    assert history["runs"][0]["run_id"] == done["run_id"]
    runs = [r["run_id"] for r in history["runs"]]
    assert entered["detail"]["segment"] == "browsers_not_payers" and entered["detail"]["run_id"] in runs
    # a customer no run has seen has no profile
    missing = api.get(f"/v1/admin/customers/u-{uuid.uuid4().hex[:8]}/profile", admin)
    assert (missing.status_code, missing.json()["error"]["code"]) == (404, "profile_not_found")


# ---- a run asked for over the API, its members, a promotion for its segment -----------------------------


def run_requested(api, admin, deadline: float) -> dict:
    """``POST /v1/admin/segmentations``, then its state until it has finished (the stack's runner runs it)."""
    queued = ok(api.post("/v1/admin/segmentations", admin, {}), 202)
    assert queued["state"] in ("queued", "running")
    while True:
        state = ok(api.get(f"/v1/admin/segmentations/{queued['run_id']}", admin))
        if state["state"] in ("succeeded", "failed"):
            return state
        assert time.monotonic() < deadline, state
        time.sleep(0.2)


def members(api, admin, segment: str, limit: int) -> list[str]:
    out, cursor = [], None
    while True:
        page = ok(api.get(f"/v1/admin/segments/{segment}/members", admin, params={"limit": limit, "cursor": cursor}))
        assert page["segment"] == segment and len(page["members"]) <= limit
        out += [m["user_id"] for m in page["members"]]
        cursor = page["next_cursor"]
        if cursor is None:
            return out


def coupon_holders(ddb, table: str, definition_id: str) -> list[str]:
    """Every customer holding a coupon of the definition, once per coupon (the table, not an API's view)."""
    holders, key = [], None
    while True:
        page = ddb.scan(
            TableName=table,
            ConsistentRead=True,
            FilterExpression="contains(terms, :d) AND begins_with(sk, :cp)",  # terms: the coupon's JSON
            ExpressionAttributeValues={":d": {"S": definition_id}, ":cp": {"S": "CP#"}},
            **({"ExclusiveStartKey": key} if key else {}),
        )
        holders += [i["pk"]["S"].removeprefix("W#") for i in page["Items"]]
        key = page.get("LastEvaluatedKey")
        if not key:
            return holders


def test_a_requested_run_lists_its_members_and_a_promotion_for_the_segment_grants_each_once(
    api,
    ddb,
    local_stack,
    scheduler,
    group,
    invoke,
    shop,
):
    admin = api.admin()
    browsers = [api.unique_user("seg-members") for _ in range(3)]
    for b in browsers:
        visits = [{"type": "login"}] * 3 + [
            {"type": "view_product", "props": {"sku": f"s{i}", "category": "tea", "merchant_id": "m-e2e"}}
            for i in range(2)
        ]  # five visits: a browser (docs/segments.md)
        ok(api.post("/v1/events", b, {"events": visits}), 202)
    deadline = time.monotonic() + 90
    while True:  # the export is written behind the bus: run again until the run has seen them
        state = run_requested(api, admin, deadline)
        assert state["state"] == "succeeded", state
        listed = members(api, admin, "browsers_not_payers", 2)
        if set(b.user_id for b in browsers) <= set(listed) or time.monotonic() > deadline:
            break
    assert set(b.user_id for b in browsers) <= set(listed) and len(listed) == len(set(listed))
    assert state["counts"]["browsers_not_payers"] == len(listed) and sum(state["counts"].values()) == state["customers"]
    assert state["requested_by"] == admin.user_id and state["prediction"]

    definition_id = f"cd-seg-{uuid.uuid4().hex[:8]}"
    terms = {
        "name": "first top-up gift",
        "kind": "amount_off",
        "value": 200,
        "min_spend": 0,
        "valid_from": "2026-01-01T00:00:00Z",
        "valid_to": "2099-01-01T00:00:00Z",
        "per_customer_limit": 3,
    }
    assert api.request("PUT", f"/v1/coupon-definitions/{definition_id}", admin, terms).status_code == 200
    starts = utc_now() + timedelta(seconds=2)
    made = create(
        api,
        admin,
        {
            "name": "browsers' first balance order",
            "merchant_id": shop,
            "starts_at": iso(starts),
            "ends_at": iso(starts + timedelta(hours=1)),
            "effect": {
                "kind": "grant_coupon",
                "definition_id": definition_id,
                "audience": {"segment": "browsers_not_payers"},
            },
        },
    )
    assert made.status_code == 201, made.text
    promotion_id = made.json()["promotion_id"]
    wait_fired(scheduler, group, f"{promotion_id}-start")  # by the stack, at its time
    invoke("store-balance-local-promotions", {"promotion_id": promotion_id, "action": "start"})  # and again
    p = ok(api.get(f"/v1/admin/promotions/{promotion_id}", admin))
    assert p["grant"]["state"] == "done" and p["grant"]["granted"] == len(listed), p
    assert sorted(coupon_holders(ddb, local_stack.table, definition_id)) == sorted(listed)
