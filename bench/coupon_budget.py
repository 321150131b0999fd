"""Benchmark 7: 64 payers at once, every payment using a coupon of one shared budget: sharded vs one counter.

Two definitions with the same ample budget, one split over 8 shards, one over a single counter.
Each of 64 customers holds 3 coupons of each; all checkouts are opened first (untimed); then 64
threads pay (3 payments each) through chalice local, scenario by scenario. Reported: payments per
second, conflicts answered, and whether the budget's uses equal the payments that used it.

Locally the moto server serializes every request, so a hot counter costs little here: this shows
the two schemes agree (never overspent, nothing lost) and what the extra item costs, not DynamoDB's
limit of about 1,000 writes per second on one item, which is what the shards are for.
"""

from __future__ import annotations

import threading
import time
import uuid
from typing import Any

import requests

from .common import Api, Deadline, Row

PAYERS = 64
EACH = 3
WINDOW = {"valid_from": "2026-01-01T00:00:00Z", "valid_to": "2099-01-01T00:00:00Z"}


def _define(api: Api, shards: int) -> str:
    definition_id = f"cd-bench-{shards}-{uuid.uuid4().hex[:6]}"
    r = api.http.put(
        f"{api.url}/v1/coupon-definitions/{definition_id}",
        headers=api.admin().headers(),
        timeout=30,
        json={
            "name": "bench",
            "kind": "amount_off",
            "value": 10,
            "min_spend": 0,
            **WINDOW,
            "per_customer_limit": EACH,
            "budget_count": 100_000,
            "budget_shards": shards,
        },
    )
    if r.status_code != 200:
        raise RuntimeError(f"definition: {r.status_code} {r.text}")
    return definition_id


def _scenario(api: Api, shards: int, seconds: float) -> dict[str, Any]:
    definition_id = _define(api, shards)
    payers = [api.user(f"bench-cpn-{shards}-{i}-{uuid.uuid4().hex[:6]}") for i in range(PAYERS)]
    for p in payers:
        api.fund(p, 100 * EACH)
    for _ in range(EACH):
        r = api.http.post(
            f"{api.url}/v1/coupon-definitions/{definition_id}/grants",
            timeout=120,
            headers=api.admin().headers(str(uuid.uuid4())),
            json={"user_ids": [p.user_id for p in payers]},
        )
        if r.status_code != 201 or r.json()["granted"] != PAYERS:
            raise RuntimeError(f"grants: {r.status_code} {r.text[:300]}")
    work = []
    for p in payers:
        coupons = [
            c["coupon_id"]
            for c in api.http.get(f"{api.url}/v1/coupons", headers=p.headers(), timeout=30).json()["coupons"]
            if c["definition_id"] == definition_id
        ]
        work.append([(p, api.open_checkout(p, 100), c) for c in coupons])
    statuses: list[int] = []
    lock = threading.Lock()
    start = threading.Barrier(PAYERS + 1)
    deadline = Deadline(seconds)

    def payer(items: list[tuple[Any, str, str]]) -> None:
        session = requests.Session()
        start.wait(timeout=60)
        for user, checkout_id, coupon_id in items:
            if deadline.passed:
                break
            r = session.post(
                f"{api.url}/v1/payments",
                json={"checkout_id": checkout_id, "coupon_id": coupon_id},
                headers=user.headers(str(uuid.uuid4())),
                timeout=60,
            )
            with lock:
                statuses.append(r.status_code)
        session.close()

    threads = [threading.Thread(target=payer, args=(w,), daemon=True) for w in work]
    for t in threads:
        t.start()
    deadline.end = time.monotonic() + seconds
    start.wait(timeout=60)
    t0 = time.perf_counter()
    for t in threads:
        t.join(timeout=seconds + 60)
    elapsed = time.perf_counter() - t0
    ok = statuses.count(201)
    used = sum(
        1
        for p in payers
        for c in api.http.get(f"{api.url}/v1/coupons", headers=p.headers(), timeout=30).json()["coupons"]
        if c["definition_id"] == definition_id and c["state"] == "used"
    )
    return {
        "shards": shards,
        "payments": len(statuses),
        "succeeded": ok,
        "conflicts_409": statuses.count(409),
        "other": len(statuses) - ok - statuses.count(409),
        "elapsed_s": round(elapsed, 3),
        "payments_per_s": round(ok / elapsed, 1) if elapsed else None,
        "coupons_used": used,
        "consistent": used == ok,
    }


def run(api: Api, seconds: float = 30.0) -> dict[str, Any]:
    sharded = _scenario(api, 8, seconds)
    single = _scenario(api, 1, seconds)
    ratio = sharded["payments_per_s"] / single["payments_per_s"] if single["payments_per_s"] else None
    return {
        "sharded": sharded,
        "single_counter": single,
        "ratio_sharded_over_single": round(ratio, 2) if ratio else None,
    }


def rows(res: dict[str, Any]) -> list[Row]:
    out = []
    for key, title in (("sharded", "8 shards"), ("single_counter", "1 counter")):
        r = res[key]
        out.append(
            Row(
                f"{title}: payments/s (201) / 409 / other",
                f"{r['payments_per_s']} ({r['succeeded']} in {r['elapsed_s']} s) / {r['conflicts_409']} / {r['other']}",
            )
        )
        out.append(
            Row(
                f"{title}: coupons used == payments",
                f"{r['coupons_used']} vs {r['succeeded']}",
                "equal",
                r["consistent"],
            )
        )
    out.append(
        Row("ratio sharded / one counter (moto serializes: see the module)", str(res["ratio_sharded_over_single"]))
    )
    return out
