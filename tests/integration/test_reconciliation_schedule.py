"""The daily reconciliation as Lambda runs it: the schedule's handler, fired with an EventBridge event."""

from __future__ import annotations

import json
import uuid

import boto3

from chalicelib.domain.model import Principal
from chalicelib.services import topups
from chalicelib.services.common import IdempotentRequest


def test_the_scheduled_handler_reconciles_and_reports_a_tampered_wallet(store, moto_table, capsys, monkeypatch):
    from dev.reconcile import fire

    monkeypatch.setenv("POWERTOOLS_METRICS_DISABLED", "false")
    user = f"u-{uuid.uuid4().hex[:8]}"
    created = topups.create_topup(
        store,
        currency="CNY",
        max_balance=10**9,
        principal=Principal(user),
        request=IdempotentRequest(user, "k", "h"),
        amount=500,
        channel="card",
    )
    topups.confirm_topup(
        store,
        currency="CNY",
        max_attempts=5,
        topup_id=created.body["topup_id"],
        status="succeeded",
        amount=500,
        provider_ref="p",
    )
    clean = fire()
    assert user not in [m["user_id"] for m in clean["mismatches"]]
    assert clean["wallets_checked"] >= 1

    ddb = boto3.client("dynamodb", endpoint_url=moto_table, region_name="us-east-1")
    from chalicelib.store.models import LedgerItem

    ddb.update_item(
        TableName=LedgerItem.Meta.table_name,
        Key={"pk": {"S": f"W#{user}"}, "sk": {"S": "WALLET"}},
        UpdateExpression="SET bonus = :b",
        ExpressionAttributeValues={":b": {"N": "7"}},
    )
    capsys.readouterr()
    report = fire()
    [found] = [m for m in report["mismatches"] if m["user_id"] == user]
    assert found["difference"] == {"cash": 0, "bonus": 7, "total": 7}
    # the job publishes the mismatch count for an alarm (EMF on stdout), with the dimensions the
    # deployed alarm selects (tests/infra: namespace StoreBalance, service + stage)
    out = capsys.readouterr().out
    # the table is shared with other tests, some of which tamper with wallets of their own: one more than before
    assert len(report["mismatches"]) == len(clean["mismatches"]) + 1
    assert f'"ReconciliationMismatches":[{len(report["mismatches"])}.0]' in out.replace(" ", "")
    [emf] = [json.loads(line) for line in out.splitlines() if '"ReconciliationMismatches"' in line]
    [directive] = emf["_aws"]["CloudWatchMetrics"]
    assert directive["Namespace"] == "StoreBalance"
    assert [sorted(d) for d in directive["Dimensions"]] == [["service", "stage"]]
    assert emf["service"] == "store-balance" and emf["stage"] == "local"
