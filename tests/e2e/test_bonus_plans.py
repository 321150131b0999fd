"""Top-up bonus plans over HTTP: the plan's bonus arrives with the top-up, is listed with its expiry, is
spent first, expires through the ledger (the daily job, run as if a month had passed) and the books still
balance; the options say what each amount would earn. Events of each step reach the bus.

Plans apply to every top-up of the stack, so these plans reward only amounts no other test tops up
(from PLAN_MIN), and are switched off when the module ends."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone

import pytest

from tests.e2e.conftest import run_schedule

PLAN_MIN = 4_321_000


def iso(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds").replace("+00:00", "Z")


NOW = datetime.now(timezone.utc)


def plan_body(**kw):
    return {
        "name": "Top up big, get more",
        "min_amount": PLAN_MIN,
        "bonus_percent": 5,
        "bonus_max": 200_000,
        "bonus_valid_days": 30,
        "valid_from": iso(NOW - timedelta(hours=1)),
        "valid_to": iso(NOW + timedelta(hours=2)),
        **kw,
    }


@pytest.fixture(scope="module")
def plans(api):
    pid = f"plan-{uuid.uuid4().hex[:8]}"
    fixed = f"fixed-{uuid.uuid4().hex[:8]}"
    r = api.request("PUT", f"/v1/admin/topup-plans/{pid}", api.admin(), plan_body())
    assert r.status_code == 200, r.text
    r = api.request(
        "PUT",
        f"/v1/admin/topup-plans/{fixed}",
        api.admin(),
        plan_body(bonus_percent=None, bonus_max=None, bonus_amount=100_000, bonus_valid_days=None),
    )
    assert r.status_code == 200, r.text
    yield pid, fixed
    for plan_id in (pid, fixed):
        api.request("PUT", f"/v1/admin/topup-plans/{plan_id}", api.admin(), plan_body(active=False))


def top_up(api, user, amount: int, **extra):
    r = api.post("/v1/topups", user, {"amount": amount, "channel": "card", **extra}, key=str(uuid.uuid4()))
    assert r.status_code == 201, r.text
    w = api.webhook(
        {
            "topup_id": r.json()["topup_id"],
            "status": "succeeded",
            "amount": amount,
            "provider_ref": f"ref-{uuid.uuid4().hex[:8]}",
        }
    )
    assert w.status_code == 200, w.text
    return r.json(), w.json()


def test_the_best_plans_bonus_arrives_with_the_top_up_and_expires_through_the_ledger(
    api, plans, local_stack, bus_events
):
    pid, _ = plans
    user = api.unique_user("bonus")
    topup, credit = top_up(api, user, 5_000_000)
    # 5 % of 5,000,000 = 250,000, capped at 200,000 (30 days) beats the fixed 100,000 that never expires
    assert credit["bonus"] == 200_000 and credit["plan_id"] == pid
    wallet = api.get("/v1/wallet", user).json()
    assert wallet["balance"] == {"cash": 5_000_000, "bonus": 200_000, "total": 5_200_000}
    [expiring] = wallet["bonus_expiring"]
    assert expiring["amount"] == 200_000
    expires = datetime.fromisoformat(expiring["expires_at"].replace("Z", "+00:00"))
    assert timedelta(days=29, hours=23) < expires - datetime.now(timezone.utc) <= timedelta(days=30)
    entry = api.get("/v1/wallet/entries", user).json()["entries"][0]
    assert (
        entry["type"] == "top_up" and entry["plan_id"] == pid and entry["lots"] == {"cash": 5_000_000, "bonus": 200_000}
    )
    [event] = bus_events.wait_for("topup.credited", user_id=user.user_id)
    assert event["detail"]["plan_id"] == pid and event["detail"]["lots"]["bonus"] == 200_000

    # spend some of the bonus (bonus first), then a month passes and the daily job runs
    assert api.pay(user, 50_000).status_code == 201
    report = run_schedule(local_stack, "expire_bonus", at=iso(expires + timedelta(minutes=5)))
    assert report["expired"].get(user.user_id) == 150_000
    again = run_schedule(local_stack, "expire_bonus", at=iso(expires + timedelta(minutes=10)))
    assert user.user_id not in again["expired"]  # exactly once per grant
    wallet = api.get("/v1/wallet", user).json()
    assert wallet["balance"] == {"cash": 5_000_000, "bonus": 0, "total": 5_000_000}
    assert wallet["bonus_expiring"] == []
    expiry = api.get("/v1/wallet/entries?type=expiry", user).json()["entries"]
    assert [(e["type"], e["lots"]) for e in expiry] == [("expiry", {"cash": 0, "bonus": -150_000})]
    [gone] = bus_events.wait_for("bonus.expired", user_id=user.user_id)
    assert gone["detail"]["amount"] == -150_000
    recon = run_schedule(local_stack, "reconcile")
    assert recon["mismatches"] == [] and recon["totals"]["conserved"] is True
    assert recon["totals"]["debited"]["expiry"] >= 150_000


def test_the_options_name_the_bonus_each_amount_earns_now_and_a_top_up_names_its_option(api, plans, monkeypatch):
    user = api.unique_user("options")
    body = api.get("/v1/topups/options", user).json()
    amounts = [o["amount"] for o in body["options"]]
    assert amounts == sorted(amounts) and all(o["bonus"] == 0 for o in body["options"])  # all below PLAN_MIN
    assert body["suggested_amount"] in amounts  # nothing spent yet: a preset
    option = body["options"][0]
    topup, credit = top_up(api, user, option["amount"], option_id=option["option_id"])
    assert topup["option_id"] == option["option_id"] and credit["bonus"] == 0
    r = api.post(
        "/v1/topups",
        user,
        {"amount": option["amount"] + 1, "channel": "card", "option_id": option["option_id"]},
        key=str(uuid.uuid4()),
    )
    assert r.status_code == 400 and r.json()["error"]["code"] == "invalid_topup_option"


@pytest.mark.parametrize(
    "change, code",
    [
        ({"bonus_amount": 100}, "invalid_topup_plan"),  # both kinds of bonus
        ({"bonus_percent": None}, "invalid_topup_plan"),  # neither
        ({"bonus_max": None}, "invalid_topup_plan"),  # a percent without its cap
        ({"valid_to": iso(NOW - timedelta(days=1))}, "invalid_topup_plan"),  # ends before it starts
        ({"bonus_valid_days": 0}, "invalid_request"),
        ({"min_amount": 0}, "invalid_amount"),
    ],
)
def test_a_bad_plan_is_refused_with_its_code_and_nothing_changes(api, change, code):
    pid = f"bad-{uuid.uuid4().hex[:8]}"
    r = api.request("PUT", f"/v1/admin/topup-plans/{pid}", api.admin(), plan_body(**change))
    assert r.status_code == 400 and r.json()["error"]["code"] == code, r.text
    listed = api.get("/v1/admin/topup-plans", api.admin()).json()["plans"]
    assert pid not in {p["plan_id"] for p in listed}


def test_only_admins_manage_plans(api, plans):
    user = api.unique_user("nosy")
    assert api.get("/v1/admin/topup-plans", user).status_code == 403
    assert api.request("PUT", "/v1/admin/topup-plans/x", user, plan_body()).status_code == 403
    listed = {p["plan_id"]: p for p in api.get("/v1/admin/topup-plans", api.admin()).json()["plans"]}
    assert listed[plans[0]]["bonus_percent"] == 5 and listed[plans[0]]["version"] == 1
