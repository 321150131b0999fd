"""Benchmark 8: from a committed payment to its event on the bus, and events published per storage write.

On the local stack: payments are made one after another over HTTP (paced, as a shop's steady traffic);
each one's lag is the time from its 201 answer to the moment a consumer reads its ``payment.succeeded``
from the queue the local bus delivers every event to. That covers what AWS would do (stream -> mapping
-> publisher -> PutEvents -> rule -> target) with the local runner's stand-ins: its stream poll (every
0.1 s when idle), the publisher itself, moto's routing and an SQS receive. On AWS the stream-to-Lambda
leg is typically well under a second; it cannot be measured here.

Events per write: a top-up, a plain payment, a refund, and a payment with coupon and points, each one
transaction; the events each put on the bus are counted by their ids.
"""

from __future__ import annotations

import time
import uuid
from typing import Any

from dev.bus import BusTail

from .common import Api, Row, percentile

PAYMENTS = 60
PACE_SECONDS = 0.15


def _events_of(reader: BusTail, first: str, **detail: Any) -> list[str]:
    reader.wait_for(first, timeout=30, **detail)
    time.sleep(1.5)  # what one transaction publishes arrives together; wait out the stragglers
    return sorted(e["detail-type"] for _, e in reader.find(None, **detail))


def run(api: Api, info: Any) -> dict[str, Any]:
    reader = BusTail(info)
    try:
        api.ensure_merchant()
        api.service()  # created once, before the checkouts are opened from several threads
        payer = api.user(f"bench-lag-{uuid.uuid4().hex[:6]}")
        api.fund(payer, PAYMENTS * 100 + 10_000)
        checkouts = api.open_checkouts(payer, PAYMENTS, amount=100)
        committed: dict[str, float] = {}
        for checkout_id in checkouts:
            r = api.http.post(
                f"{api.url}/v1/payments",
                headers=payer.headers(str(uuid.uuid4())),
                json={"checkout_id": checkout_id},
                timeout=30,
            )
            at = time.perf_counter()
            if r.status_code != 201:
                raise RuntimeError(f"pay: {r.status_code} {r.text[:300]}")
            committed[r.json()["payment_id"]] = at
            time.sleep(PACE_SECONDS)
        reader.wait_for("payment.succeeded", timeout=30, count=PAYMENTS, user_id=payer.user_id)
        lags = [
            (t - committed[e["detail"]["payment_id"]]) * 1000
            for t, e in reader.find("payment.succeeded", user_id=payer.user_id)
        ]

        # events per transaction
        user = api.user(f"bench-epw-{uuid.uuid4().hex[:6]}")
        api.fund(user, 50_000)
        per_write = {"top-up credited": _events_of(reader, "topup.credited", user_id=user.user_id)}
        r = api.http.post(
            f"{api.url}/v1/payments",
            headers=user.headers(str(uuid.uuid4())),
            json={"checkout_id": api.open_checkout(user, 2_000)},
            timeout=30,
        )
        payment_id = r.json()["payment_id"]
        per_write["payment"] = _events_of(reader, "payment.succeeded", payment_id=payment_id)
        r = api.http.post(
            f"{api.url}/v1/payments/{payment_id}/refunds",
            headers=api.admin().headers(str(uuid.uuid4())),
            json={"amount": 2_000, "reason": "bench"},
            timeout=30,
        )
        if r.status_code != 201:
            raise RuntimeError(f"refund: {r.status_code} {r.text[:300]}")
        per_write["refund"] = _events_of(reader, "payment.refunded", refund_id=r.json()["refund_id"]) + [
            t for _, e in reader.find(None, payment_id=payment_id) if (t := e["detail-type"]).startswith("points.cl")
        ]
        transactions = 3
        events = sum(len(v) for v in per_write.values())
    finally:
        reader.stop()
    return {
        "payments": PAYMENTS,
        "lag_ms": {
            "p50": round(percentile(lags, 50), 1),
            "p99": round(percentile(lags, 99), 1),
            "max": round(max(lags), 1),
        },
        "events_per_write": per_write,
        "events_per_transaction": round(events / transactions, 2),
    }


def rows(res: dict[str, Any]) -> list[Row]:
    lag = res["lag_ms"]
    out = [
        Row(
            f"payment committed -> its event read from the bus ({res['payments']} payments, paced)",
            f"p50 {lag['p50']} ms, p99 {lag['p99']} ms, max {lag['max']} ms",
        )
    ]
    for name, types in res["events_per_write"].items():
        out.append(Row(f"events published by one {name} (one transaction)", f"{len(types)}: {', '.join(types)}"))
    out.append(Row("events per storage write (these transactions)", str(res["events_per_transaction"])))
    return out
