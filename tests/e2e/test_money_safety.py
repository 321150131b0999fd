"""Money safety over HTTP: concurrency, exactly-once, crashes, webhooks, reconciliation."""

from __future__ import annotations

import threading
import uuid
from concurrent.futures import ThreadPoolExecutor

import requests


def run_at_once(n: int, fn):
    """Run fn(i) in n threads released together; return the results in order."""
    barrier = threading.Barrier(n)

    def go(i):
        barrier.wait(timeout=30)
        return fn(i)

    with ThreadPoolExecutor(max_workers=n) as pool:
        return list(pool.map(go, range(n)))


def test_32_concurrent_payers_on_one_wallet_never_overdraw_it(api):
    # Given a wallet of 1000 and 32 payers of 60 at once: 16 can succeed
    payer = api.unique_user("crowd")
    api.fund(payer, 1000)
    sessions = [requests.Session() for _ in range(32)]

    checkouts = [api.open_checkout(payer, 60, order_id=f"o-crowd-{i}")["checkout_id"] for i in range(32)]

    def pay(i):
        body = {"checkout_id": checkouts[i]}
        r = sessions[i].post(f"{api.url}/v1/payments", json=body, headers=payer.headers(str(uuid.uuid4())), timeout=60)
        return r.status_code, r.json()

    results = run_at_once(32, pay)
    statuses = [s for s, _ in results]
    assert statuses.count(201) == 1000 // 60
    assert statuses.count(422) == 32 - 1000 // 60, statuses
    assert all(b["error"]["code"] == "insufficient_balance" for s, b in results if s == 422)
    balance = api.balance(payer)
    assert balance["total"] == 1000 - 60 * (1000 // 60) and balance["cash"] >= 0
    entries = api.all_entries(payer)
    assert sum(e["amount"] for e in entries) == balance["total"]
    assert len(entries) == 1 + 1000 // 60
    afters = sorted(e["balance_after"]["total"] for e in entries if e["type"] == "payment")
    assert afters == [1000 - 60 * k for k in range(1000 // 60, 0, -1)]


def test_a_replay_returns_the_first_response_and_moves_nothing(api):
    user = api.unique_user("replay")
    api.fund(user, 1000)
    first = api.pay(user, 250, order_id="o-replay", key="key-replay")
    again = api.pay(user, 250, order_id="o-replay", key="key-replay")
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert "Idempotent-Replayed" not in first.headers
    assert api.balance(user)["total"] == 750


def test_the_same_key_with_another_body_is_refused_with_422(api):
    user = api.unique_user("reuse")
    api.fund(user, 1000)
    assert api.pay(user, 250, order_id="o-a", key="key-reuse").status_code == 201
    other = api.pay(user, 300, order_id="o-b", key="key-reuse")
    assert other.status_code == 422 and other.json()["error"]["code"] == "idempotency_key_reused"
    assert api.balance(user)["total"] == 750


def test_keys_are_scoped_to_the_caller(api):
    a, b = api.unique_user("scope-a"), api.unique_user("scope-b")
    api.fund(a, 500)
    api.fund(b, 500)
    assert api.pay(a, 100, key="shared-key").status_code == 201
    r = api.pay(b, 100, key="shared-key")
    assert r.status_code == 201 and "Idempotent-Replayed" not in r.headers
    assert api.balance(a)["total"] == api.balance(b)["total"] == 400


def test_two_identical_requests_at_once_move_money_once(api):
    user = api.unique_user("twins")
    api.fund(user, 1000)
    sessions = [requests.Session() for _ in range(8)]
    body = {"checkout_id": api.open_checkout(user, 100, order_id="o-twins")["checkout_id"]}

    def pay(i):
        r = sessions[i].post(f"{api.url}/v1/payments", json=body, headers=user.headers("key-twins"), timeout=60)
        return r.status_code, r.json(), r.headers.get("Idempotent-Replayed")

    results = run_at_once(8, pay)
    assert all(s in (201, 409) for s, _, _ in results), results
    created = [b for s, b, replayed in results if s == 201]
    assert len({b["payment_id"] for b in created}) == 1
    assert sum(1 for s, _, replayed in results if s == 201 and replayed is None) == 1
    assert api.balance(user)["total"] == 900


def test_a_crash_after_commit_then_a_retry_moves_money_once(api):
    user = api.unique_user("crash")
    api.fund(user, 1000)
    # When the function dies after the transaction commits, before answering
    crashed = api.pay(user, 400, order_id="o-crash", key="key-crash", headers={"X-Fault-Inject": "after-commit"})
    assert crashed.status_code == 500
    assert crashed.json()["error"]["code"] == "internal_error"
    assert "Traceback" not in crashed.text and "InjectedCrash" not in crashed.text
    # Then the client's retry with the same key gets the payment, and the money moved once
    retry = api.pay(user, 400, order_id="o-crash", key="key-crash")
    assert retry.status_code == 201 and retry.headers.get("Idempotent-Replayed") == "true"
    assert api.balance(user)["total"] == 600
    assert [e["type"] for e in api.all_entries(user)] == ["payment", "top_up"]


def test_a_refund_crash_then_retry_refunds_once(api):
    user = api.unique_user("crash-refund")
    api.fund(user, 1000)
    pid = api.pay(user, 400).json()["payment_id"]
    merchant = api.user("merchant-e2e", "merchant:m-e2e")
    path = f"/v1/payments/{pid}/refunds"
    crashed = api.post(
        path,
        merchant,
        {"amount": 400, "reason": "x"},
        key="key-crash-refund",
        headers={"X-Fault-Inject": "after-commit"},
    )
    assert crashed.status_code == 500
    retry = api.post(path, merchant, {"amount": 400, "reason": "x"}, key="key-crash-refund")
    assert retry.status_code == 201 and retry.headers.get("Idempotent-Replayed") == "true"
    assert api.balance(user)["total"] == 1000


def test_a_webhook_delivered_five_times_credits_once(api):
    user = api.unique_user("hook")
    topup = api.post("/v1/topups", user, {"amount": 700, "channel": "alipay"}, key=str(uuid.uuid4())).json()
    assert topup["status"] == "pending"
    body = {"topup_id": topup["topup_id"], "status": "succeeded", "amount": 700, "provider_ref": "ali-777"}
    sessions = [requests.Session() for _ in range(5)]
    import json as _json

    raw = _json.dumps(body).encode()
    headers = {"Content-Type": "application/json", "X-Signature": api.sign(raw)}
    results = run_at_once(
        5, lambda i: sessions[i].post(f"{api.url}/v1/webhooks/payments", data=raw, headers=headers, timeout=60)
    )
    assert [r.status_code for r in results] == [200] * 5
    assert sum(r.json()["credited"] for r in results) == 1
    assert api.balance(user) == {"cash": 700, "bonus": 0, "total": 700}
    assert api.get(f"/v1/topups/{topup['topup_id']}", user).json()["status"] == "succeeded"
    assert [e["type"] for e in api.all_entries(user)] == ["top_up"]


def test_a_webhook_with_a_bad_signature_is_401_and_credits_nothing(api):
    user = api.unique_user("hook-sig")
    topup = api.post("/v1/topups", user, {"amount": 700, "channel": "card"}, key=str(uuid.uuid4())).json()
    body = {"topup_id": topup["topup_id"], "status": "succeeded", "amount": 700, "provider_ref": "x"}
    for r in (
        api.webhook(body, secret="not-the-secret"),
        api.webhook(body, signature="sha256=00"),
        api.webhook(body, signature="garbage"),
    ):
        assert r.status_code == 401 and r.json()["error"]["code"] == "invalid_signature"
    assert api.balance(user)["total"] == 0
    assert api.get(f"/v1/topups/{topup['topup_id']}", user).json()["status"] == "pending"


def test_a_webhook_with_another_amount_is_422_and_credits_nothing(api):
    user = api.unique_user("hook-amount")
    topup = api.post("/v1/topups", user, {"amount": 700, "channel": "card"}, key=str(uuid.uuid4())).json()
    r = api.webhook({"topup_id": topup["topup_id"], "status": "succeeded", "amount": 70000, "provider_ref": "x"})
    assert r.status_code == 422 and r.json()["error"]["code"] == "amount_mismatch"
    assert r.json()["error"]["details"] == {"expected": 700, "received": 70000}
    assert api.balance(user)["total"] == 0


def test_a_failed_topup_credits_nothing_and_cannot_succeed_later(api):
    user = api.unique_user("hook-fail")
    topup = api.post("/v1/topups", user, {"amount": 700, "channel": "card"}, key=str(uuid.uuid4())).json()
    failed = api.webhook({"topup_id": topup["topup_id"], "status": "failed", "amount": 700, "provider_ref": "x"})
    assert failed.status_code == 200 and failed.json() == {
        "topup_id": topup["topup_id"],
        "status": "failed",
        "credited": False,
        "bonus": None,
        "plan_id": None,
    }
    late = api.webhook({"topup_id": topup["topup_id"], "status": "succeeded", "amount": 700, "provider_ref": "x"})
    assert late.status_code == 409 and late.json()["error"]["code"] == "topup_already_processed"
    assert api.balance(user)["total"] == 0


def test_a_webhook_for_an_unknown_topup_is_404(api):
    r = api.webhook({"topup_id": "top_missing", "status": "succeeded", "amount": 1, "provider_ref": "x"})
    assert r.status_code == 404 and r.json()["error"]["code"] == "topup_not_found"


def test_reconciliation_finds_a_wallet_altered_behind_the_ledgers_back(api, ddb, local_stack):
    user = api.unique_user("tamper")
    api.fund(user, 1000)
    admin = api.admin()
    before = api.post("/v1/admin/reconciliations", admin)
    assert before.status_code == 200
    assert user.user_id not in [m["user_id"] for m in before.json()["mismatches"]]
    # When someone edits the stored balance directly
    ddb.update_item(
        TableName=local_stack.table,
        Key={"pk": {"S": f"W#{user.user_id}"}, "sk": {"S": "WALLET"}},
        UpdateExpression="SET cash = :c",
        ExpressionAttributeValues={":c": {"N": "999999"}},
    )
    report = api.post("/v1/admin/reconciliations", admin).json()
    found = [m for m in report["mismatches"] if m["user_id"] == user.user_id]
    assert len(found) == 1
    assert found[0]["stored"]["cash"] == 999999 and found[0]["from_entries"]["cash"] == 1000
    assert found[0]["difference"]["total"] == 998999
    assert report["totals"]["conserved"] is False
    # restore, so later reconciliations in this session start clean
    ddb.update_item(
        TableName=local_stack.table,
        Key={"pk": {"S": f"W#{user.user_id}"}, "sk": {"S": "WALLET"}},
        UpdateExpression="SET cash = :c",
        ExpressionAttributeValues={":c": {"N": "1000"}},
    )
