"""Limited-time promotions over HTTP on the local stack: the schedules they make in moto's scheduler, the
window their pricing keeps (quotes polled before, during and after it), the coupons their start grants
(exactly one per customer of the audience, however often it fires), cancelling, validation, who may do what.

moto stores schedules but never fires them: the stack's runner (dev/lifecycle.py) fires the due ones with
``dev.schedules.fire_due``, as the scheduler would; a test fires one again itself to show it counts once. It runs
the app's promotions function in a process of its own set up for this stack (as the local runner does).
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
import uuid
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from dev.schedules import fire_due
from dev.stack import ROOT, aws_client

pytestmark = pytest.mark.e2e


def iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


@pytest.fixture(scope="module")
def scheduler(local_stack):
    return aws_client("scheduler", local_stack.aws_endpoint)


@pytest.fixture(scope="module")
def group(local_stack) -> str:
    return local_stack.lifecycle_env["SCHEDULE_GROUP"]


@pytest.fixture(scope="module")
def invoke(local_stack, tmp_path_factory):
    """``invoke(function, event)``: the app's handler, in a fresh process pointed at this stack."""
    state = tmp_path_factory.mktemp("promotions") / "stack.json"
    local_stack.save(state)
    calls: list[tuple[str, Any]] = []

    def run(function: str, event: Any) -> Any:
        calls.append((function, event))
        done = subprocess.run(
            [sys.executable, "-m", "dev.schedules", "--state", str(state), "invoke", function, json.dumps(event)],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr[-3000:]
        return json.loads(done.stdout.strip().splitlines()[-1])

    run.calls = calls
    return run


def wait_fired(scheduler, group: str, *names: str, timeout: float = 60.0) -> None:
    """Until the local stack's runner (dev/lifecycle.py, the scheduler's stand-in) has fired and deleted the
    named schedules, as EventBridge Scheduler would at their time."""
    deadline = time.monotonic() + timeout
    while set(names) & schedule_names(scheduler, group):
        assert time.monotonic() < deadline, (
            f"not fired within {timeout} s: {set(names) & schedule_names(scheduler, group)}"
        )
        time.sleep(0.2)


def schedule_names(scheduler, group: str) -> set[str]:
    names, kwargs = set(), {"GroupName": group}
    while True:
        page = scheduler.list_schedules(**kwargs)
        names |= {s["Name"] for s in page["Schedules"]}
        if not page.get("NextToken"):
            return names
        kwargs["NextToken"] = page["NextToken"]


def create(api, user, body: dict[str, Any], key: str | None = None):
    return api.post("/v1/admin/promotions", user, body, key=key or f"promo-{uuid.uuid4()}")


def discount_promotion(
    merchant_id: str | None, starts: datetime, ends: datetime, percent: int = 10, **effect: Any
) -> dict[str, Any]:
    return {
        "name": f"{percent} % off",
        **({"merchant_id": merchant_id} if merchant_id else {}),
        "starts_at": iso(starts),
        "ends_at": iso(ends),
        "effect": {"kind": "extra_balance_discount", "percent": percent, **effect},
    }


@pytest.fixture(scope="module")
def shop(api) -> str:
    merchant_id = f"m-promo-{uuid.uuid4().hex[:8]}"
    api.ensure_merchant(merchant_id)
    return merchant_id


def quote(api, customer, checkout_id: str) -> dict[str, Any]:
    r = api.post(f"/v1/checkouts/{checkout_id}/quote", customer, {})
    assert r.status_code == 200, r.text
    return r.json()


def promotion_lines(q: dict[str, Any]) -> list[dict[str, Any]]:
    return [d for d in q["discounts"] if d["source"] == "promotion"]


# ---- creation and its schedules -----------------------------------------------------------------


def test_creating_a_promotion_makes_its_two_one_time_schedules(api, scheduler, group, shop):
    starts = utc_now() + timedelta(hours=1)
    r = create(api, api.admin(), discount_promotion(shop, starts, starts + timedelta(hours=2), max_amount=500))
    assert r.status_code == 201, r.text
    p = r.json()
    assert p["status"] == "scheduled" and p["merchant_id"] == shop
    assert p["effect"] == {
        "kind": "extra_balance_discount",
        "percent": 10,
        "max_amount": 500,
        "factor": None,
        "definition_id": None,
        "audience": None,
    }
    start, end = p["schedules"]
    assert {start, end} <= schedule_names(scheduler, group)
    s = scheduler.get_schedule(Name=start, GroupName=group)
    assert s["ScheduleExpression"] == f"at({starts.strftime('%Y-%m-%dT%H:%M:%S')})"
    assert s["ScheduleExpressionTimezone"] == "UTC" and s["FlexibleTimeWindow"] == {"Mode": "OFF"}
    assert s["ActionAfterCompletion"] == "DELETE"
    assert s["Target"]["Arn"].endswith(":function:store-balance-local-promotions")
    assert s["Target"]["RoleArn"].endswith(":role/store-balance-local-scheduler")
    assert json.loads(s["Target"]["Input"]) == {"promotion_id": p["promotion_id"], "action": "start"}
    assert s["Target"]["RetryPolicy"]["MaximumRetryAttempts"] > 0
    e = scheduler.get_schedule(Name=end, GroupName=group)
    assert json.loads(e["Target"]["Input"])["action"] == "end"
    assert e["ScheduleExpression"] == f"at({(starts + timedelta(hours=2)).strftime('%Y-%m-%dT%H:%M:%S')})"


def test_a_retried_creation_answers_the_same_and_makes_nothing_twice(api, scheduler, group, shop):
    starts = utc_now() + timedelta(hours=3)
    body, key = discount_promotion(shop, starts, starts + timedelta(hours=1)), f"promo-{uuid.uuid4()}"
    first = create(api, api.admin(), body, key)
    again = create(api, api.admin(), body, key)
    assert first.status_code == again.status_code == 201, again.text
    assert again.json() == first.json() and again.headers.get("Idempotent-Replayed") == "true"
    mine = [
        p
        for p in api.get("/v1/admin/promotions", api.admin(), params={"merchant_id": shop}).json()["promotions"]
        if p["starts_at"].startswith(iso(starts)[:19])
    ]
    assert len(mine) == 1
    other = create(api, api.admin(), {**body, "name": "another"}, key)
    assert other.status_code == 422 and other.json()["error"]["code"] == "idempotency_key_reused"


# ---- the window ---------------------------------------------------------------------------------


def test_a_promotion_applies_in_the_quote_and_the_payment_only_inside_its_window(api, scheduler, group, shop, invoke):
    customer = api.unique_user("promo-window")
    api.fund(customer, 100_000)
    checkout = api.open_checkout(customer, 10_000, merchant_id=shop)["checkout_id"]
    starts = (utc_now() + timedelta(seconds=4)).replace(microsecond=0)
    ends = starts + timedelta(seconds=6)
    r = create(api, api.admin(), discount_promotion(shop, starts, ends, percent=20))
    assert r.status_code == 201, r.text
    promotion_id = r.json()["promotion_id"]

    seen: list[tuple[datetime, bool, int]] = []  # (asked at, discounted, balance)
    paid = None
    while utc_now() < ends + timedelta(seconds=3):
        asked = utc_now()
        q = quote(api, customer, checkout)
        lines = promotion_lines(q)
        seen.append((asked, bool(lines), q["balance"]))
        if lines:
            assert lines == [{"source": "promotion", "amount": 2000, "promotion_id": promotion_id}]
            assert q["balance"] == 8000 and q["promotions"][0]["promotion_id"] == promotion_id
            if paid is None:  # the payment is priced the same, and records the promotion
                pay = api.post("/v1/payments", customer, {"checkout_id": checkout}, key=str(uuid.uuid4()))
                assert pay.status_code == 201, pay.text
                paid = pay.json()
                assert paid["funded_by"]["cash"] + paid["funded_by"]["bonus"] == 8000
                assert {"source": "promotion", "amount": 2000, "promotion_id": promotion_id} in paid["discounts"]
                assert paid["promotions"] == [
                    {"promotion_id": promotion_id, "kind": "extra_balance_discount", "amount": 2000, "factor": None}
                ]
                checkout = api.open_checkout(customer, 10_000, merchant_id=shop)["checkout_id"]
        else:
            assert q["balance"] == 10_000 and q["promotions"] == []
        time.sleep(0.4)
    # before the start: no discount; inside: the discount; after the end: none again (a second's slack at the
    # edges for the time a request takes)
    assert any(not d for t, d, _ in seen if t < starts - timedelta(seconds=1)), seen
    assert all(not d for t, d, _ in seen if t < starts - timedelta(seconds=1)), seen
    assert all(d for t, d, _ in seen if starts + timedelta(seconds=1) <= t < ends - timedelta(seconds=1)), seen
    assert any(d for t, d, _ in seen), seen
    assert all(not d for t, d, _ in seen if t >= ends + timedelta(seconds=1)), seen
    assert any(not d for t, d, _ in seen if t >= ends + timedelta(seconds=1)), seen
    assert paid is not None
    got = api.get(f"/v1/payments/{paid['payment_id']}", customer).json()
    assert got["discount_total"] == 2000 and got["promotions"][0]["promotion_id"] == promotion_id

    # the schedules, fired by the stack at their times, only record what happened
    wait_fired(scheduler, group, f"{promotion_id}-start", f"{promotion_id}-end")
    p = api.get(f"/v1/admin/promotions/{promotion_id}", api.admin()).json()
    assert p["status"] == "ended" and p["activated_at"] and p["finished_at"]


def test_a_platform_wide_points_multiplier_multiplies_the_points_earned(api, shop):
    customer = api.unique_user("promo-points")
    api.fund(customer, 100_000)
    checkout = api.open_checkout(customer, 10_000, merchant_id=shop)["checkout_id"]
    base = quote(api, customer, checkout)["points_to_earn"]
    starts = utc_now() + timedelta(seconds=1)
    r = create(
        api,
        api.admin(),
        {
            "name": "double points",
            "starts_at": iso(starts),
            "ends_at": iso(starts + timedelta(seconds=30)),
            "effect": {"kind": "points_multiplier", "factor": "2.5"},
        },
    )
    assert r.status_code == 201, r.text
    promotion_id = r.json()["promotion_id"]
    time.sleep(max(0.0, (starts - utc_now()).total_seconds()) + 1.2)
    q = quote(api, customer, checkout)
    assert q["points_to_earn"] == base * 5 // 2 and base > 0
    applied = [p for p in q["promotions"] if p["kind"] == "points_multiplier"]
    assert applied == [{"promotion_id": promotion_id, "kind": "points_multiplier", "amount": None, "factor": "2.5"}]
    cancelled = api.request("DELETE", f"/v1/admin/promotions/{promotion_id}", api.admin())
    assert cancelled.status_code == 200, cancelled.text
    assert quote(api, customer, checkout)["points_to_earn"] == base  # cancelled: at once in this function


# ---- the coupon grant -----------------------------------------------------------------------------


def test_its_start_grants_each_customer_of_the_audience_one_coupon_however_often_it_fires(
    api, scheduler, group, shop, invoke
):
    definition_id = f"cd-promo-{uuid.uuid4().hex[:8]}"
    terms = {
        "name": "welcome back",
        "kind": "amount_off",
        "value": 300,
        "min_spend": 0,
        "valid_from": "2026-01-01T00:00:00Z",
        "valid_to": "2099-01-01T00:00:00Z",
        "per_customer_limit": 5,
    }
    assert api.request("PUT", f"/v1/coupon-definitions/{definition_id}", api.admin(), terms).status_code == 200
    payers = [api.unique_user("promo-payer") for _ in range(3)]
    for u in payers:
        api.fund(u, 5_000)
        assert api.pay(u, 1_000, merchant_id=shop).status_code == 201
    idle = api.unique_user("promo-idle")
    api.fund(idle, 5_000)  # a wallet, but no balance ever spent

    starts = utc_now() + timedelta(seconds=2)
    r = create(
        api,
        api.admin(),
        {
            "name": "recent payers",
            "merchant_id": shop,
            "starts_at": iso(starts),
            "ends_at": iso(starts + timedelta(hours=1)),
            "effect": {
                "kind": "grant_coupon",
                "definition_id": definition_id,
                "audience": "balance_payers_last_30_days",
            },
        },
    )
    assert r.status_code == 201, r.text
    promotion_id = r.json()["promotion_id"]
    start = f"{promotion_id}-start"
    definition = scheduler.get_schedule(Name=start, GroupName=group)  # before it fires (and is deleted)

    wait_fired(scheduler, group, start)  # by the stack, at its time
    # the scheduler delivers at least once: the same schedule again, fired again (here, by this test)
    scheduler.create_schedule(
        **{
            k: definition[k]
            for k in (
                "Name",
                "GroupName",
                "ScheduleExpression",
                "ScheduleExpressionTimezone",
                "FlexibleTimeWindow",
                "Target",
                "ActionAfterCompletion",
            )
        }
    )
    fire_due(scheduler, group, invoke, utc_now())  # it may be the stack's runner that fires it: either way once
    wait_fired(scheduler, group, start)
    # and a retried invocation (a timeout's) with the same input
    invoke("store-balance-local-promotions", {"promotion_id": promotion_id, "action": "start"})

    def coupons(user) -> list[dict[str, Any]]:
        return [c for c in api.get("/v1/coupons", user).json()["coupons"] if c["definition_id"] == definition_id]

    for u in payers:
        assert len(coupons(u)) == 1, u.name
    assert coupons(idle) == []
    p = api.get(f"/v1/admin/promotions/{promotion_id}", api.admin()).json()
    assert p["status"] == "active" and p["grant"]["state"] == "done" and p["grant"]["granted"] >= 3
    # the coupon is a real one: it pays
    checkout = api.open_checkout(payers[0], 1_000, merchant_id=shop)["checkout_id"]
    q = api.post(f"/v1/checkouts/{checkout}/quote", payers[0], {"coupon_id": coupons(payers[0])[0]["coupon_id"]})
    assert {"source": "coupon", "amount": 300} in q.json()["discounts"]


# ---- cancelling ------------------------------------------------------------------------------------


def test_cancelling_deletes_its_schedules_and_it_no_longer_applies(api, scheduler, group, shop):
    customer = api.unique_user("promo-cancel")
    api.fund(customer, 50_000)
    checkout = api.open_checkout(customer, 10_000, merchant_id=shop)["checkout_id"]
    starts = utc_now() + timedelta(seconds=1)
    r = create(api, api.admin(), discount_promotion(shop, starts, starts + timedelta(hours=1), percent=30))
    assert r.status_code == 201, r.text
    p = r.json()
    assert set(p["schedules"]) <= schedule_names(scheduler, group)
    time.sleep(max(0.0, (starts - utc_now()).total_seconds()) + 1.1)
    assert promotion_lines(quote(api, customer, checkout))[0]["amount"] == 3000

    c = api.request("DELETE", f"/v1/admin/promotions/{p['promotion_id']}", api.admin())
    assert c.status_code == 200, c.text
    assert c.json()["status"] == "cancelled" and c.json()["cancelled_at"]
    assert not set(p["schedules"]) & schedule_names(scheduler, group)
    assert promotion_lines(quote(api, customer, checkout)) == []
    again = api.request("DELETE", f"/v1/admin/promotions/{p['promotion_id']}", api.admin())
    assert again.status_code == 200 and again.json()["status"] == "cancelled"  # its schedules already gone: fine


def test_an_ended_promotion_cannot_be_cancelled(api, shop):
    starts = utc_now() + timedelta(seconds=1)
    r = create(api, api.admin(), discount_promotion(shop, starts, starts + timedelta(seconds=1)))
    assert r.status_code == 201, r.text
    time.sleep(max(0.0, (starts - utc_now()).total_seconds()) + 2.2)
    c = api.request("DELETE", f"/v1/admin/promotions/{r.json()['promotion_id']}", api.admin())
    assert c.status_code == 409 and c.json()["error"]["code"] == "promotion_ended", c.text


# ---- validation and who may do what -----------------------------------------------------------------


@pytest.fixture(scope="module")
def definition(api, shop) -> str:
    definition_id = f"cd-promo-{uuid.uuid4().hex[:8]}"
    terms = {
        "name": "shop coupon",
        "kind": "amount_off",
        "value": 100,
        "min_spend": 0,
        "merchant_id": shop,
        "valid_from": "2026-01-01T00:00:00Z",
        "valid_to": "2099-01-01T00:00:00Z",
    }
    assert api.request("PUT", f"/v1/coupon-definitions/{definition_id}", api.admin(), terms).status_code == 200
    return definition_id


def _cases(shop: str, definition_id: str) -> dict[str, tuple[dict[str, Any], int, str]]:
    soon = utc_now() + timedelta(hours=1)
    ok = discount_promotion(shop, soon, soon + timedelta(days=1))
    coupon = {"kind": "grant_coupon", "definition_id": definition_id, "audience": "all_balance_payers"}
    return {
        "ends before it starts": ({**ok, "ends_at": iso(soon - timedelta(minutes=1))}, 400, "invalid_window"),
        "ends when it starts": ({**ok, "ends_at": ok["starts_at"]}, 400, "invalid_window"),
        "starts in the past": ({**ok, "starts_at": iso(utc_now() - timedelta(minutes=5))}, 400, "starts_in_past"),
        "longer than 90 days": ({**ok, "ends_at": iso(soon + timedelta(days=91))}, 400, "promotion_too_long"),
        "percent above 50": (
            {**ok, "effect": {"kind": "extra_balance_discount", "percent": 51}},
            400,
            "invalid_request",
        ),
        "factor below one": ({**ok, "effect": {"kind": "points_multiplier", "factor": "0.5"}}, 400, "invalid_factor"),
        "factor as a float": ({**ok, "effect": {"kind": "points_multiplier", "factor": 1.5}}, 400, "invalid_request"),
        "unknown coupon definition": (
            {**ok, "effect": {**coupon, "definition_id": "cd-nope"}},
            400,
            "unknown_coupon_definition",
        ),
        "unknown segment": (
            {**ok, "effect": {**coupon, "audience": {"segment": "lapsed"}}},
            400,
            "unknown_segment",
        ),
        "segment of an unknown tier": (
            {**ok, "effect": {**coupon, "audience": {"segment": "tier:no-such-tier"}}},
            400,
            "unknown_tier",
        ),
        "unknown merchant": ({**ok, "merchant_id": "m-nobody-here"}, 404, "merchant_not_found"),
    }


def test_invalid_promotions_are_refused_with_a_code_and_nothing_is_scheduled(api, scheduler, group, shop, definition):
    before = schedule_names(scheduler, group)
    for name, (body, status, code) in _cases(shop, definition).items():
        r = create(api, api.admin(), body)
        assert (r.status_code, r.json()["error"]["code"]) == (status, code), (name, r.text)
    assert schedule_names(scheduler, group) - before == set()


def test_a_merchants_staff_manage_their_own_promotions_only(api, shop, definition):
    other = f"m-promo-other-{uuid.uuid4().hex[:6]}"
    api.ensure_merchant(other)
    staff = api.unique_user("promo-staff", f"merchant:{shop}")
    soon = utc_now() + timedelta(hours=2)
    grant = {
        "name": "grant",
        "merchant_id": shop,
        "starts_at": iso(soon),
        "ends_at": iso(soon + timedelta(hours=1)),
        "effect": {"kind": "grant_coupon", "definition_id": definition, "audience": "all_balance_payers"},
    }
    assert create(api, staff, grant).status_code == 201  # its own merchant's definition
    foreign = create(api, api.unique_user("promo-staff-other", f"merchant:{other}"), {**grant, "merchant_id": other})
    assert foreign.status_code == 400 and foreign.json()["error"]["code"] == "unknown_coupon_definition"
    mine = create(api, staff, discount_promotion(shop, soon, soon + timedelta(hours=1)))
    assert mine.status_code == 201, mine.text
    theirs = create(api, api.admin(), discount_promotion(other, soon, soon + timedelta(hours=1)))
    assert theirs.status_code == 201, theirs.text
    tid = theirs.json()["promotion_id"]

    refused = create(api, staff, discount_promotion(other, soon, soon + timedelta(hours=1)))
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "forbidden"
    no_merchant = create(api, staff, discount_promotion(None, soon, soon + timedelta(hours=1)))
    assert no_merchant.status_code == 400 and no_merchant.json()["error"]["code"] == "merchant_id_required"
    for method in ("GET", "DELETE"):
        r = api.request(method, f"/v1/admin/promotions/{tid}", staff)
        assert r.status_code == 404 and r.json()["error"]["code"] == "promotion_not_found", r.text
    assert api.get(f"/v1/admin/promotions/{tid}", api.admin()).json()["status"] == "scheduled"
    listed = api.get("/v1/admin/promotions", staff).json()["promotions"]
    assert mine.json()["promotion_id"] in {p["promotion_id"] for p in listed}
    assert {p["merchant_id"] for p in listed} == {shop}
    assert api.get("/v1/admin/promotions", staff, params={"merchant_id": other}).status_code == 403
    customer = api.unique_user("promo-customer")
    assert create(api, customer, discount_promotion(shop, soon, soon + timedelta(hours=1))).status_code == 403
    assert api.get("/v1/admin/promotions", customer).status_code == 403
