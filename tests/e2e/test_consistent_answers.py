"""Answers that agree with each other: a replayed webhook with its first answer, a top-up with the bonus it
earned, an unpayable quote with no payment status, tiers read back as written, the OpenAPI ranges (HTTP)."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone

import pytest

pytestmark = pytest.mark.e2e


def _utc(delta: timedelta) -> str:
    return (datetime.now(timezone.utc) + delta).strftime("%Y-%m-%dT%H:%M:%SZ")


def test_a_replayed_webhook_answers_what_the_first_answer_said_and_the_topup_shows_its_bonus(api):
    plan_id = f"plan-consistent-{uuid.uuid4().hex[:6]}"
    # a plan only for this amount, so no other test's top-up earns from it
    amount = 4_321_00
    plan = api.request(
        "PUT",
        f"/v1/admin/topup-plans/{plan_id}",
        api.admin(),
        {
            "name": "exactly 4321.00",
            "min_amount": amount,
            "bonus_amount": 1234,
            "valid_from": _utc(-timedelta(hours=1)),
            "valid_to": _utc(timedelta(days=1)),
        },
    )
    assert plan.status_code in (200, 201), plan.text
    try:
        for top, expected_bonus, expected_plan in ((amount, 1234, plan_id), (700, 0, None)):
            user = api.unique_user("replay")
            topup = api.post("/v1/topups", user, {"amount": top, "channel": "card"}, key=str(uuid.uuid4())).json()
            assert api.get(f"/v1/topups/{topup['topup_id']}", user).json()["bonus"] is None  # not credited yet
            verdict = {"topup_id": topup["topup_id"], "status": "succeeded", "amount": top, "provider_ref": "r"}

            first, again = api.webhook(verdict), api.webhook(verdict)

            assert first.json()["credited"] and not again.json()["credited"]
            assert (first.json()["bonus"], first.json()["plan_id"]) == (expected_bonus, expected_plan)
            assert {k: again.json()[k] for k in ("bonus", "plan_id")} == {
                "bonus": expected_bonus,
                "plan_id": expected_plan,
            }
            seen = api.get(f"/v1/topups/{topup['topup_id']}", user).json()
            assert (seen["status"], seen["bonus"], seen["plan_id"]) == ("succeeded", expected_bonus, expected_plan)
            assert api.balance(user) == {"cash": top, "bonus": expected_bonus, "total": top + expected_bonus}
    finally:  # switched off: later top-ups of this amount earn nothing from it
        api.request(
            "PUT",
            f"/v1/admin/topup-plans/{plan_id}",
            api.admin(),
            {
                "name": "off",
                "min_amount": amount,
                "bonus_amount": 1234,
                "active": False,
                "valid_from": _utc(-timedelta(hours=1)),
                "valid_to": _utc(timedelta(days=1)),
            },
        )


def test_an_unpayable_quote_has_no_payment_status_and_a_payable_one_has(api):
    customer = api.unique_user("quote-status")
    api.fund(customer, 500)
    short = api.open_checkout(customer, 2000)
    enough = api.open_checkout(customer, 300)

    refused = api.post(f"/v1/checkouts/{short['checkout_id']}/quote", customer, {}).json()
    fine = api.post(f"/v1/checkouts/{enough['checkout_id']}/quote", customer, {}).json()
    hold = api.post(f"/v1/checkouts/{enough['checkout_id']}/quote", customer, {"capture": False}).json()

    assert (refused["payable"], refused["status"], refused["refusal"]["code"]) == (False, None, "insufficient_balance")
    assert (fine["payable"], fine["status"]) == (True, "succeeded")
    assert (hold["payable"], hold["status"]) == (True, "authorized")


def test_the_tiers_are_read_back_as_they_were_written(api):
    tiers = [
        {"name": "base", "threshold": 0, "points_multiplier": 1},
        {"name": "gold", "threshold": 500_000_00, "points_multiplier": 1.5, "balance_pay_discount_percent": 2},
    ]
    written = api.request("PUT", "/v1/admin/tiers", api.admin(), {"tiers": tiers})
    assert written.status_code == 200, written.text

    read = api.get("/v1/admin/tiers", api.admin())

    assert read.status_code == 200 and read.json() == written.json()
    assert [(t["name"], t["points_multiplier"]) for t in read.json()["tiers"]] == [("base", 1), ("gold", 1.5)]
    customer = api.unique_user("tiers-reader")
    denied = api.get("/v1/admin/tiers", customer)
    assert (denied.status_code, denied.json()["error"]["code"]) == (403, "forbidden")


def test_the_openapi_document_states_ranges_in_json_schema_keywords(api):
    doc = api.get("/v1/openapi.json").json()
    misspelt = []

    def walk(node, where):
        if isinstance(node, dict):
            if "properties" in node or "type" in node or "anyOf" in node:
                misspelt.extend(f"{where}.{k}" for k in ("ge", "le", "gt", "lt") if k in node)
            for k, v in node.items():
                walk(v, f"{where}.{k}")
        elif isinstance(node, list):
            for i, v in enumerate(node):
                walk(v, f"{where}[{i}]")

    walk(doc, "$")
    assert misspelt == []
    multiplier = doc["components"]["schemas"]["TierIn"]["properties"]["points_multiplier"]
    assert [(m["type"], m["minimum"], m["maximum"]) for m in multiplier["anyOf"]] == [
        ("integer", 1, 10),
        ("number", 1, 10),
    ]
