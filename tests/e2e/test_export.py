"""The analytics export over the local stack: what the bus carried is what the export holds.

Locally the export rule's target is a queue that the stack's runner writes into moto's S3 under Firehose's
key layout (dev/lifecycle.py ExportDelivery); the analyses read it with boto3 and run on DuckDB."""

from __future__ import annotations

import time
import uuid
from datetime import datetime, timedelta, timezone

import pytest

from chalicelib.insight import export
from chalicelib.insight.engine import DuckEngine
from dev.stack import EXPORT_BUCKET, aws_client

pytestmark = pytest.mark.e2e


def exported(local_stack, user_id: str, start, end) -> dict[str, int]:
    """event_id -> copies in the export, of the events about ``user_id``."""
    s3 = aws_client("s3", local_stack.aws_endpoint)
    rows = DuckEngine(export.read(s3, EXPORT_BUCKET, start, end)).run("event_ids", [start.isoformat(), end.isoformat()])
    return {r["event_id"]: r["copies"] for r in rows if r["user_id"] == user_id}


def test_every_event_on_the_bus_reaches_the_export_once(api, bus_events, local_stack):
    customer = api.unique_user("export")
    now = datetime.now(timezone.utc)
    two_days_ago = (now - timedelta(days=2)).strftime("%Y-%m-%dT%H:%M:%SZ")
    events = [
        {"type": "login", "id": f"ev-{uuid.uuid4().hex[:8]}"},
        {"type": "view_wallet", "at": two_days_ago},  # filed under its own day
        {"type": "search", "props": {"query": "tea"}},
    ]
    r = api.post("/v1/events", customer, {"events": events})
    assert r.status_code == 202, r.text
    again = api.post("/v1/events", customer, {"events": events[:1]})  # the app sends its first event again
    assert again.status_code == 202, again.text
    api.fund(customer, 5000)  # topup.credited
    paid = api.pay(customer, 1200)  # checkout.opened, payment.succeeded, points.earned...
    assert paid.status_code == 201, paid.text

    start, end = (now - timedelta(days=3)).date(), (now + timedelta(days=1)).date()
    bus_events.wait_for("payment.succeeded", timeout=60, user_id=customer.user_id)
    deadline = time.monotonic() + 60
    while True:
        on_bus = {e["detail"]["event_id"] for e in bus_events.events if e["detail"].get("user_id") == customer.user_id}
        in_export = exported(local_stack, customer.user_id, start, end)
        if (on_bus and set(in_export) == on_bus) or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert set(in_export) == on_bus
    assert len(on_bus) >= 6
    kinds = {e["detail-type"] for e in bus_events.events if e["detail"].get("user_id") == customer.user_id}
    assert {"behaviour.login", "behaviour.view_wallet", "topup.credited", "payment.succeeded"} <= kinds
    # the event sent twice was put on the bus twice with one event_id: the export has both copies, counted as one
    login = next(
        e
        for e in bus_events.events
        if e["detail-type"] == "behaviour.login" and e["detail"]["user_id"] == customer.user_id
    )
    assert in_export[login["detail"]["event_id"]] == 2
    # filed by the event's own day
    s3 = aws_client("s3", local_stack.aws_endpoint)
    day = two_days_ago[:10]
    keys = [
        o["Key"]
        for o in s3.list_objects_v2(Bucket=EXPORT_BUCKET, Prefix=export.prefix_of(day, "behaviour.view_wallet")).get(
            "Contents", []
        )
    ]
    assert keys and all(k.endswith(".gz") for k in keys)
