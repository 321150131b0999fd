"""Backtests over the local stack: checkouts quoted and paid over HTTP, the export written by the stack's runner,
a backtest asked for over the API and run by the stack's runner from ``backtest.requested`` (as the bus's
consumer), its report read over the API; and the ledger untouched by it."""

from __future__ import annotations

import time
import uuid
from datetime import datetime, timedelta, timezone

import pytest

from chalicelib.insight import export
from chalicelib.insight.engine import DuckEngine
from dev.stack import EXPORT_BUCKET, aws_client

pytestmark = pytest.mark.e2e

AMOUNTS = [1200, 2500, 800, 4000]


def ok(r, status: int = 200):
    assert r.status_code == status, r.text
    return r.json()


def quoted_in_export(local_stack, merchant_id: str) -> set[str]:
    """The checkouts of the merchant whose quote the export holds today (what a backtest would replay)."""
    s3 = aws_client("s3", local_stack.aws_endpoint)
    today = datetime.now(timezone.utc).date()
    yesterday = today - timedelta(days=1)
    rows = DuckEngine(export.read(s3, EXPORT_BUCKET, yesterday, today)).run(
        "backtest_checkouts", [today.isoformat(), yesterday.isoformat(), today.isoformat(), merchant_id]
    )
    return {r["checkout_id"] for r in rows if r["quoted"]}


@pytest.fixture(scope="module")
def shop(api, local_stack):
    """A merchant of its own with four customers' checkouts, each quoted and paid by balance, in the export."""
    merchant_id = f"m-bt-{uuid.uuid4().hex[:8]}"
    api.ensure_merchant(merchant_id)
    staff = api.unique_user("bt-staff", f"merchant:{merchant_id}")
    checkouts, customers = set(), []
    for amount in AMOUNTS:
        customer = api.unique_user("bt-customer")
        api.fund(customer, 10_000)
        checkout = api.open_checkout(customer, amount, merchant_id=merchant_id)
        quote = ok(api.post(f"/v1/checkouts/{checkout['checkout_id']}/quote", customer, {}))
        assert quote["payable"] and quote["balance"] == amount, quote
        paid = api.post("/v1/payments", customer, {"checkout_id": checkout["checkout_id"]}, key=str(uuid.uuid4()))
        assert paid.status_code == 201, paid.text
        checkouts.add(checkout["checkout_id"])
        customers.append(customer)
    deadline = time.monotonic() + 90
    while quoted_in_export(local_stack, merchant_id) != checkouts:
        assert time.monotonic() < deadline, "the quotes did not reach the export"
        time.sleep(0.5)
    return merchant_id, staff, customers


def backtest(api, merchant_id: str, user, body: dict) -> dict:
    """Ask for a backtest, then read it until it has finished (the stack's runner runs it)."""
    queued = ok(api.post(f"/v1/merchants/{merchant_id}/backtests", user, body), 202)
    assert queued["state"] in ("queued", "running") and queued["backtest_id"].startswith("bt_")
    deadline = time.monotonic() + 90
    while True:
        state = ok(api.get(f"/v1/merchants/{merchant_id}/backtests/{queued['backtest_id']}", user))
        if state["state"] in ("succeeded", "failed"):
            return state
        assert time.monotonic() < deadline, state
        time.sleep(0.3)


def numbers(view: dict) -> list[int]:
    out: list[int] = []
    for value in view.values():
        if isinstance(value, dict):
            out += numbers(value)
        elif isinstance(value, int) and not isinstance(value, bool):
            out.append(value)
    return out


def test_the_current_configuration_against_itself_reports_no_difference(api, shop):
    merchant_id, staff, customers = shop
    balances = {c.user_id: api.balance(c) for c in customers}
    done = backtest(api, merchant_id, staff, {"days": 7})
    assert done["state"] == "succeeded", done
    report = done["report"]
    assert report["replayed"] == len(AMOUNTS) and report["not_replayed"] == {"never_quoted": 0}
    assert report["current"] == report["proposed"]
    assert report["current"]["fully_payable"] == len(AMOUNTS) and report["current"]["balance_paid"] == sum(AMOUNTS)
    assert report["current"]["balance_share_bp"] == 10000 and report["current"]["customers"] == len(AMOUNTS)
    assert set(numbers(report["difference"])) == {0} and report["examples"] == []
    assert report["recorded"] == {"paid": len(AMOUNTS), "balance_paid": sum(AMOUNTS)}
    assert {c.user_id: api.balance(c) for c in customers} == balances  # the ledger untouched


def test_a_minimum_order_above_every_past_checkout_makes_every_one_unpayable_by_balance(api, shop):
    merchant_id, staff, _ = shop
    done = backtest(api, merchant_id, api.admin(), {"days": 7, "balance_rules": {"min_order_amount": max(AMOUNTS) + 1}})
    assert done["state"] == "succeeded", done
    report = done["report"]
    assert report["current"]["fully_payable"] == len(AMOUNTS) and report["proposed"]["fully_payable"] == 0
    assert report["difference"]["stopped_being_payable"] == len(AMOUNTS)
    assert report["difference"]["became_payable"] == 0
    assert report["difference"]["customers_affected"] == len(AMOUNTS)
    assert report["difference"]["balance_paid"] == -sum(AMOUNTS)
    assert {e["proposed"]["refusal"] for e in report["examples"]} == {"min_order_not_met"}
    # and the merchant's own rules are as they were: a backtest changes nothing
    rules = ok(api.get(f"/v1/merchants/{merchant_id}/balance-rules", staff))
    assert rules["version"] == 0 and rules["min_order_amount"] == 0


def test_another_merchants_staff_may_neither_ask_for_nor_read_a_backtest(api, shop):
    merchant_id, staff, _ = shop
    stranger = api.unique_user("bt-stranger", "merchant:m-e2e")
    refused = api.post(f"/v1/merchants/{merchant_id}/backtests", stranger, {"days": 7})
    assert (refused.status_code, refused.json()["error"]["code"]) == (403, "forbidden")
    queued = ok(api.post(f"/v1/merchants/{merchant_id}/backtests", staff, {"days": 3}), 202)
    read = api.get(f"/v1/merchants/{merchant_id}/backtests/{queued['backtest_id']}", stranger)
    assert (read.status_code, read.json()["error"]["code"]) == (403, "forbidden")
