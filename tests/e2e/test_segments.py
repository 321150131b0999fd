"""Segments over the local stack: a customer with a known history has exactly the F and M the ledger holds,
a browser who never pays is a browser, and the run's changes of segment reach the bus."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid

import pytest

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
    [entered] = bus_events.wait_for("segment.entered", timeout=60, user_id=browser.user_id)
    assert entered["detail"]["segment"] == "browsers_not_payers" and entered["detail"]["run_id"] == done["run_id"]
    history = ok(api.get("/v1/admin/segments/history", admin))
    assert history["runs"][0]["run_id"] == done["run_id"]
    # a customer no run has seen has no profile
    missing = api.get(f"/v1/admin/customers/u-{uuid.uuid4().hex[:8]}/profile", admin)
    assert (missing.status_code, missing.json()["error"]["code"]) == (404, "profile_not_found")
