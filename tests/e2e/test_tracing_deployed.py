"""The app as deployed (tracing on, a Lambda's environment, a fresh process) traces a payment to the daemon.

The process imports the app and serves one real payment event against the local stack, with an
``_X_AMZN_TRACE_ID`` as Lambda sets it; a UDP socket stands in for the X-Ray daemon.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

from dev.lambda_process import APP_CHILD, invoke_env, payment_event, trace_header
from dev.stack import ROOT
from tests.integration.test_tracing import Daemon


def test_a_payment_on_a_cold_start_sends_its_dynamodb_calls_as_subsegments_of_the_request(api, local_stack, tmp_path):
    payer = api.unique_user("traced")
    api.fund(payer, 1000)
    event = tmp_path / "event.json"
    event.write_text(json.dumps(payment_event(payer.token, api.open_checkout(payer, 250)["checkout_id"])))
    daemon = Daemon()
    header = trace_header()
    env = {**invoke_env(local_stack, f"{daemon.address[0]}:{daemon.address[1]}"), "_X_AMZN_TRACE_ID": header}
    try:
        p = subprocess.run(
            [sys.executable, "-c", APP_CHILD, str(event)],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert p.returncode == 0, p.stderr[-2000:] + p.stdout[-2000:]
        docs = daemon.documents(quiet=1.0)
    finally:
        daemon.sock.close()
    assert api.balance(payer)["total"] == 750  # the payment really happened
    fields = dict(f.split("=", 1) for f in header.split(";"))
    assert {d["trace_id"] for d in docs} == {fields["Root"]}
    by_name: dict[str, list[dict]] = {}
    for d in docs:
        by_name.setdefault(d["name"] if d["name"] != "DynamoDB" else "DynamoDB:" + d["aws"]["operation"], []).append(d)
    [pay] = by_name["## pay"]
    # a cold function reads the checkout with the wallet, then the merchant's configuration (cached after)
    # (the store by aggregate: a subsegment names its module's class; the configuration is one read of its own)
    snapshots = by_name["## SnapshotStore.snapshot"] + by_name["## SnapshotStore.read_configuration"]
    [commit] = by_name["## MovementStore.commit"]
    reads = by_name["DynamoDB:TransactGetItems"]
    [write] = by_name["DynamoDB:TransactWriteItems"]
    assert len(snapshots) == len(reads) == 2
    assert pay["parent_id"] == fields["Parent"]
    assert all(s["parent_id"] == pay["id"] for s in snapshots) and commit["parent_id"] == pay["id"]
    assert sorted(r["parent_id"] for r in reads) == sorted(s["id"] for s in snapshots)
    assert write["parent_id"] == commit["id"]
    assert {r["aws"]["table_name"] for r in reads} == {write["aws"]["table_name"]} == {local_stack.table}
    assert {d["http"]["response"]["status"] for d in reads + [write]} == {200}
    assert not any(d.get("fault") or d.get("error") for d in docs)
    assert os.environ.get("_X_AMZN_TRACE_ID") != header  # the test's own process was never traced
