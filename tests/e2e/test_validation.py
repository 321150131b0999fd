"""Bad input on every money route: a 4xx with a machine-readable code, and nothing written."""
from __future__ import annotations

import json
import uuid

import pytest

from chalicelib.api.signature import sign
from chalicelib.config import LOCAL_WEBHOOK_SECRET

from .conftest import table_item_count

ITEM = {"sku": "s", "category": "c", "unit_price": 100, "quantity": 1}
GOOD = {
    "topup": {"amount": 100, "channel": "card"},
    "payment": {"order_id": "o-bad", "merchant_id": "m-e2e", "items": [ITEM]},
    "refund": {"amount": 1, "reason": "r"},
    "adjustment": {"amount": 1, "lot": "cash", "reason": "r"},
    "settings": {"low_balance_threshold": 1},
    "webhook": {"topup_id": "top_x", "status": "succeeded", "amount": 100, "provider_ref": "p"},
}
AMOUNT_FIELD = {"topup": "amount", "refund": "amount", "adjustment": "amount", "settings": "low_balance_threshold",
                "webhook": "amount"}


def with_field(route: str, field: str, value):
    body = json.loads(json.dumps(GOOD[route]))
    if route == "payment" and field == "unit_price":
        body["items"][0]["unit_price"] = value
    else:
        body[field] = value
    return body


def without(route: str, field: str):
    body = dict(GOOD[route])
    body.pop(field)
    return body


CASES = []
for route in GOOD:
    field = AMOUNT_FIELD.get(route, "unit_price")
    for label, value, code in [
        ("float", 12.5, "invalid_amount"), ("whole float", 100.0, "invalid_amount"),
        ("string", "100", "invalid_amount"), ("boolean", True, "invalid_amount"), ("null", None, "invalid_amount"),
        ("negative", -1, "invalid_amount"), ("huge", 10**30, "invalid_amount"),
    ]:
        if route == "adjustment" and label == "negative":
            continue  # a signed amount: negatives are corrections (tested in the flows)
        CASES.append((route, f"{field} {label}", with_field(route, field, value), 400, code))
    if route not in ("settings", "adjustment"):
        CASES.append((route, f"{field} zero", with_field(route, field, 0), 400, "invalid_amount"))
    CASES.append((route, "missing field", without(route, next(iter(GOOD[route]))), 400, None))
    CASES.append((route, "unknown field", {**GOOD[route], "surprise": 1}, 400, "invalid_request"))
    CASES.append((route, "bad JSON", b'{"amount": ', 400, "invalid_json"))
    CASES.append((route, "JSON array", b"[1, 2]", 400, "invalid_json"))
    CASES.append((route, "empty body", b"", 400, "invalid_json"))
    CASES.append((route, "text/plain", ("text/plain", json.dumps(GOOD[route]).encode()), 415,
                  "unsupported_media_type"))
CASES += [
    ("adjustment", "amount zero", with_field("adjustment", "amount", 0), 400, "invalid_amount"),
    ("adjustment", "lot unknown", with_field("adjustment", "lot", "gold"), 400, "invalid_request"),
    ("topup", "amount above the per-transaction maximum", with_field("topup", "amount", 5000001), 400,
     "amount_exceeds_limit"),
    ("payment", "order above the per-transaction maximum",
     with_field("payment", "unit_price", 5000001), 400, "amount_exceeds_limit"),
    ("refund", "amount above the per-transaction maximum", with_field("refund", "amount", 5000001), 400,
     "amount_exceeds_limit"),
    ("adjustment", "amount above the per-transaction maximum", with_field("adjustment", "amount", -5000001), 400,
     "amount_exceeds_limit"),
    ("topup", "channel unknown", with_field("topup", "channel", "cash"), 400, "invalid_request"),
    ("payment", "no items", with_field("payment", "items", []), 400, "invalid_request"),
    ("payment", "quantity zero", {**GOOD["payment"], "items": [{**ITEM, "quantity": 0}]}, 400, "invalid_amount"),
    ("payment", "order id with a '#'", with_field("payment", "order_id", "o#1"), 400, "invalid_request"),
    ("payment", "missing Idempotency-Key", ("no-key", GOOD["payment"]), 400, "missing_idempotency_key"),
    ("payment", "over-long Idempotency-Key", ("long-key", GOOD["payment"]), 400, "invalid_idempotency_key"),
    ("topup", "missing Idempotency-Key", ("no-key", GOOD["topup"]), 400, "missing_idempotency_key"),
    ("refund", "missing Idempotency-Key", ("no-key", GOOD["refund"]), 400, "missing_idempotency_key"),
    ("adjustment", "missing Idempotency-Key", ("no-key", GOOD["adjustment"]), 400, "missing_idempotency_key"),
]


@pytest.fixture(scope="module")
def targets(api):
    user = api.unique_user("bad-input")
    api.fund(user, 10000)
    payment = api.pay(user, 5000).json()
    return {"user": user, "payment_id": payment["payment_id"]}


@pytest.mark.parametrize("route,label,body,status,code", CASES, ids=[f"{c[0]}: {c[1]}" for c in CASES])
def test_bad_input_is_refused_and_writes_nothing(api, ddb, local_stack, targets, route, label, body, status, code):
    user, admin = targets["user"], api.admin()
    method, path, caller = {
        "topup": ("POST", "/v1/topups", user),
        "payment": ("POST", "/v1/payments", user),
        "refund": ("POST", f"/v1/payments/{targets['payment_id']}/refunds", admin),
        "adjustment": ("POST", f"/v1/admin/wallets/{user.user_id}/adjustments", admin),
        "settings": ("PUT", "/v1/wallet/settings", user),
        "webhook": ("POST", "/v1/webhooks/payments", None),
    }[route]
    headers = {"Content-Type": "application/json"}
    key: str | None = str(uuid.uuid4())
    if isinstance(body, tuple):
        kind, payload = body
        if kind == "no-key":
            key = None
        elif kind == "long-key":
            key = "k" * 256
        else:
            headers["Content-Type"] = kind
        body = payload
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    if caller is not None:
        headers.update(caller.headers(key))
    if route == "webhook":
        headers["X-Signature"] = sign(LOCAL_WEBHOOK_SECRET, raw)
    before = (table_item_count(ddb, local_stack.table), api.balance(user))

    r = api.http.request(method, api.url + path, data=raw, headers=headers, timeout=30)

    assert r.status_code == status, f"{label}: {r.status_code} {r.text[:300]}"
    error = r.json()["error"]
    assert set(error) == {"code", "message", "details"} and error["message"]
    if code is not None:
        assert error["code"] == code
    else:
        assert error["code"] in ("invalid_request", "invalid_amount")
    assert (table_item_count(ddb, local_stack.table), api.balance(user)) == before
