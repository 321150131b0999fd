"""Benchmark 6: a cold start that serves a payment, versus a cold boto3 process making the same storage calls.

Each sample is a new process with the Lambda's environment (``cold_import.lambda_env``:
the prod stage's variables, tracing on as deployed, ``LAMBDA_TASK_ROOT``) pointed at
the local stack's moto server, with an ``_X_AMZN_TRACE_ID`` as Lambda sets it, so
the X-Ray SDK records (and sends to a daemon address nobody listens on) as it would.

- app: ``import app``, then ``app.app(event, context)`` with a POST /v1/payments
  event built by Chalice's own API Gateway event converter (real ID token,
  fresh order and Idempotency-Key each time). This includes what a first
  request pays for: the JWKS fetch and RS256 check, the body's validation,
  the DynamoDB client, TransactGetItems and TransactWriteItems.
- raw: ``import boto3``, ``boto3.client("dynamodb")`` and the app's own two
  storage calls for one payment (captured in benchmark 1, fresh ids, each on a
  pre-created wallet of its own).

Timed inside each process from before the first import to the answer. The two
kinds alternate and swap order every round; medians are compared.
"""
from __future__ import annotations

import json
import statistics
import subprocess
import uuid
from pathlib import Path
from typing import Any

from .cold_import import lambda_env
from .common import MERCHANT, PAY_AMOUNT, PYTHON, ROOT, Api, Deadline, Row, new_order_id, pay_body
from .pay_latency import RawPayment

TARGET_RATIO = 1.3

APP_CHILD = """
import json, sys, time
event = json.load(open(sys.argv[1]))
t0 = time.perf_counter()
import app
t1 = time.perf_counter()
class Context:
    aws_request_id = event["requestContext"]["requestId"]
    function_name = "store-balance-prod-APIHandler"
    function_version = "$LATEST"
    memory_limit_in_mb = 1024
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:store-balance-prod-APIHandler"
    log_group_name = "/aws/lambda/store-balance-prod-APIHandler"
    log_stream_name = "local"
    def get_remaining_time_in_millis(self):
        return 10000
response = app.app(event, Context())
t2 = time.perf_counter()
if response["statusCode"] != 201:
    raise SystemExit(f"payment answered {response['statusCode']}: {response['body'][:300]}")
print(json.dumps({"import_s": t1 - t0, "total_s": t2 - t0}))
"""

RAW_CHILD = """
import json, sys, time
calls = json.load(open(sys.argv[1]))
t0 = time.perf_counter()
import boto3
t1 = time.perf_counter()
ddb = boto3.client("dynamodb", endpoint_url=sys.argv[2])
got = ddb.transact_get_items(**calls["get"])
ddb.transact_write_items(**calls["write"])
t2 = time.perf_counter()
if "Item" not in got["Responses"][0]:
    raise SystemExit("raw payment: the prepared wallet was not found")
print(json.dumps({"import_s": t1 - t0, "total_s": t2 - t0}))
"""


def child_env(info: Any) -> dict[str, str]:
    from dev.stack import app_environment

    env = lambda_env(tracing=True)
    local = app_environment(info)
    for name in ("POWERTOOLS_TRACE_DISABLED", "POWERTOOLS_METRICS_DISABLED", "PAYMENT_WEBHOOK_SECRET",
                 "PAYMENT_WEBHOOK_SECRET_NAME", "AWS_REGION", "AWS_DEFAULT_REGION", "AWS_ACCESS_KEY_ID",
                 "AWS_SECRET_ACCESS_KEY"):
        local.pop(name, None)  # as deployed: tracing and metrics on, the Lambda's own region and credentials
    env.update(local)
    env["AWS_REGION"] = env["AWS_DEFAULT_REGION"] = info.region
    env["POWERTOOLS_LOG_LEVEL"] = "WARNING"
    return env


def payment_event(token: str, merchant_id: str) -> dict[str, Any]:
    """An API Gateway proxy event for POST /v1/payments, as Chalice's local gateway builds it."""
    from chalice.local import LambdaEventConverter, RouteMatcher

    body = pay_body(new_order_id("o-cold"), PAY_AMOUNT, merchant_id)
    headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": str(uuid.uuid4()),
               "Content-Type": "application/json"}
    event = LambdaEventConverter(RouteMatcher(["/v1/payments"])).create_lambda_event(
        "POST", "/v1/payments", headers, body.encode())
    event["body"] = body  # API Gateway hands Lambda the text of a JSON body
    event["requestContext"]["requestId"] = str(uuid.uuid4())
    return event


def _trace_id() -> str:
    import secrets
    import time

    return f"Root=1-{int(time.time()):08x}-{secrets.token_hex(12)};Parent={secrets.token_hex(8)};Sampled=1"


def sample(code: str, args: list[str], env: dict[str, str]) -> dict[str, float]:
    p = subprocess.run([str(PYTHON), "-c", code, *args], cwd=ROOT, env={**env, "_X_AMZN_TRACE_ID": _trace_id()},
                       capture_output=True, text=True, timeout=120)
    if p.returncode != 0:
        raise RuntimeError(f"cold payment failed ({p.returncode}): {(p.stderr or p.stdout).strip()[-800:]}")
    return json.loads(p.stdout.strip().splitlines()[-1])


def run(api: Api, template: dict[str, Any], work: Path, runs: int = 12, budget_seconds: float = 150.0) -> dict[str, Any]:
    deadline = Deadline(budget_seconds)
    payer = api.user(f"bench-cold-{uuid.uuid4().hex[:8]}")
    api.fund(payer, PAY_AMOUNT * (runs + 4))
    raw = RawPayment(api.info, template)
    raw.prepare(runs + 2)
    env = child_env(api.info)
    work.mkdir(parents=True, exist_ok=True)

    def app_once() -> dict[str, float]:
        path = work / "cold_event.json"
        path.write_text(json.dumps(payment_event(payer.token, template.get("merchant_id", MERCHANT))))
        return sample(APP_CHILD, [str(path)], env)

    def raw_once() -> dict[str, float]:
        path = work / "cold_raw.json"
        path.write_text(json.dumps(raw.ready.pop()))
        return sample(RAW_CHILD, [str(path), api.info.aws_endpoint], env)

    app_once(), raw_once()  # warm the file cache and write .pyc once, as every later process finds them
    apps: list[dict[str, float]] = []
    raws: list[dict[str, float]] = []
    for i in range(runs):
        if deadline.passed and i >= 3:
            break
        for kind in (("app", "raw") if i % 2 == 0 else ("raw", "app")):
            (apps if kind == "app" else raws).append(app_once() if kind == "app" else raw_once())
    a = statistics.median(x["total_s"] for x in apps)
    b = statistics.median(x["total_s"] for x in raws)
    return {
        "runs_each": len(apps), "target_ratio": TARGET_RATIO,
        "app_median_s": round(a, 4), "raw_median_s": round(b, 4), "ratio_app_over_raw": round(a / b, 3),
        "met": a / b <= TARGET_RATIO,
        "app_import_median_s": round(statistics.median(x["import_s"] for x in apps), 4),
        "raw_import_median_s": round(statistics.median(x["import_s"] for x in raws), 4),
        "app_samples_s": [round(x["total_s"], 4) for x in apps],
        "raw_samples_s": [round(x["total_s"], 4) for x in raws],
    }


def rows(res: dict[str, Any]) -> list[Row]:
    n = res["runs_each"]
    return [
        Row("app: import + first payment over the handler (median)",
            f"{res['app_median_s'] * 1000:.0f} ms (n={n}; import {res['app_import_median_s'] * 1000:.0f} ms)"),
        Row("boto3: import + client + the same storage calls (median)",
            f"{res['raw_median_s'] * 1000:.0f} ms (n={n}; import {res['raw_import_median_s'] * 1000:.0f} ms)"),
        Row("ratio app / boto3 (tracing on, as deployed)", f"{res['ratio_app_over_raw']:.2f}",
            f"<= {TARGET_RATIO}", res["met"]),
    ]


if __name__ == "__main__":  # a quick look without the rest of the suite: python -m bench.first_payment
    import tempfile

    from dev.stack import LocalStack

    from .run import storage_calls

    with tempfile.TemporaryDirectory() as tmp:
        stack = LocalStack(log_dir=Path(tmp) / "logs")
        try:
            info = stack.start()
            client = Api(info)
            client.ensure_merchant()
            pay_template = storage_calls(info, Path(tmp))["pay_template"]
            print(json.dumps(run(client, pay_template, Path(tmp), runs=6), indent=2))
        finally:
            stack.stop()
