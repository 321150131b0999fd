"""Benchmark 12: campaign delivery, customers per second through each action's path (the campaign's run as its
schedule starts it: the segment's members paged from the index, each member's group drawn and frozen, the action
for the treated), in a process of its own against the local stack's moto server.

Reported per action (a coupon, a bonus through the ledger, an inbox message): members reached per second and
DynamoDB calls per member. Locally every call goes through the serialized moto server, so this is the cost of
the calls, not DynamoDB's (one campaign's memberships share a partition: about 1,000 writes a second there).
"""

from __future__ import annotations

import json
import os
import sys
import time
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

from .common import ROOT, Row

MEMBERS = 500
ACTIONS = {
    "grant_coupon": None,  # the definition is made below
    "grant_bonus": {"kind": "grant_bonus", "amount": 500, "valid_days": 30},
    "notify": {"kind": "notify", "title": "hello", "body": "your balance is waiting"},
}


def main(stack_json: str, out_json: str, members: int = MEMBERS) -> int:
    from dev.stack import StackInfo, app_environment

    from .storage_calls import local_stage_env

    info = StackInfo(**json.loads(Path(stack_json).read_text()))
    os.environ.update(app_environment(info, local_stage_env()))
    os.chdir(ROOT)
    from chalicelib import bootstrap
    from chalicelib.domain.model import Principal
    from chalicelib.services import campaigns, clock, coupons
    from chalicelib.services.common import IdempotentRequest
    from chalicelib.store.models import LedgerItem

    operator = Principal("bench-op", frozenset({"admin"}))
    store, campaign_store, profiles = bootstrap.store(), bootstrap.campaign_store(), bootstrap.profile_store()
    calls: Counter[str] = Counter()
    LedgerItem._get_connection().connection.client.meta.events.register(
        "before-call.dynamodb", lambda model, **kw: calls.update([model.name])
    )
    definition_id = f"cd-bench-cmp-{uuid.uuid4().hex[:6]}"
    coupons.put_definition(
        store,
        operator,
        definition_id,
        {
            "name": "bench",
            "kind": "amount_off",
            "value": 100,
            "min_spend": 0,
            "merchant_id": None,
            "balance_pay_only": False,
            "valid_from": "2026-01-01T00:00:00Z",
            "valid_to": "2099-01-01T00:00:00Z",
            "per_customer_limit": 1,
        },
    )
    out: dict[str, Any] = {"members": members, "actions": {}}
    for segment, (kind, action) in zip(("champions", "loyal", "promising"), ACTIONS.items()):
        users = [f"u-bench-cmp-{uuid.uuid4().hex[:10]}" for _ in range(members)]
        profiles.put_profiles([{"user_id": u, "segment": segment, "balance": 0} for u in users], "bench", clock.stamp())
        made = campaigns.create(
            store,
            campaign_store,
            _NoSchedules(),
            bootstrap.policy(),
            operator,
            IdempotentRequest("bench-op", uuid.uuid4().hex, "h"),
            {
                "name": f"bench {kind}",
                "segment": segment,
                "action": action or {"kind": "grant_coupon", "definition_id": definition_id},
                "holdout_percent": 10,
            },
        ).body
        calls.clear()
        t0 = time.perf_counter()
        done = campaigns.fire(store, campaign_store, profiles, bootstrap.policy(), made["campaign_id"], "run", page=200)
        elapsed = time.perf_counter() - t0
        out["actions"][kind] = {
            "targeted": done["targeted"],
            "treated": done["treated"],
            "delivered": done["delivered"],
            "seconds": round(elapsed, 2),
            "members_per_s": round(done["targeted"] / elapsed, 1),
            "calls_per_member": round(sum(calls.values()) / done["targeted"], 2),
            "calls": dict(calls),
        }
    Path(out_json).write_text(json.dumps(out))
    return 0


class _NoSchedules:
    def create_campaign(self, campaign_id: str, runs_at: Any, measures_at: Any) -> None:
        pass


def run(info: Any, work: Path) -> dict[str, Any]:
    import subprocess

    from .common import PYTHON

    stack_json, out_json, log = work / "stack-cmp.json", work / "campaign_delivery.json", work / "campaign.log"
    stack_json.write_text(json.dumps(info.__dict__))
    with open(log, "wb") as fh:
        p = subprocess.run(
            [str(PYTHON), "-m", "bench.campaign_delivery", str(stack_json), str(out_json)],
            cwd=ROOT,
            env={**os.environ, "PYTHONPATH": str(ROOT), "POWERTOOLS_LOG_LEVEL": "WARNING"},
            stdout=fh,
            stderr=subprocess.STDOUT,
            timeout=900,
        )
    if p.returncode != 0:
        raise RuntimeError(f"bench.campaign_delivery exited {p.returncode}: {log.read_text()[-2000:]}")
    return json.loads(out_json.read_text())


def rows(res: dict[str, Any]) -> list[Row]:
    return [
        Row(
            f"{kind}: {r['targeted']} members ({r['treated']} treated)",
            f"{r['members_per_s']} members/s, {r['calls_per_member']} DynamoDB calls per member ({r['seconds']} s)",
        )
        for kind, r in res["actions"].items()
    ]


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2], *(int(a) for a in sys.argv[3:4])))
