"""Benchmark 6: a cold start that serves a payment, versus a cold boto3 process making the same storage calls.

Each sample is a new process with the Lambda's environment (``dev.lambda_process.lambda_env``:
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
- floor: the raw process that first imports the libraries the app is built on
  (Chalice, pydantic with one model built and used, Powertools' Logger, Metrics
  and Tracer with the X-Ray SDK, PynamoDB) and nothing of the app: what any app
  on this stack pays before its own code. app ÷ floor is the app's own share;
  floor ÷ raw the stack's. (``import pydantic`` alone is lazy and loads neither
  BaseModel nor its schema builder, which every app validating with it pays:
  a floor without a model left them out.)

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

from dev.lambda_process import APP_CHILD, invoke_env, payment_event, trace_header

from .common import MERCHANT, PAY_AMOUNT, PYTHON, ROOT, Api, Deadline, Row
from .pay_latency import RawPayment

TARGET_RATIO = 1.3

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


FLOOR_CHILD = RAW_CHILD.replace(
    "import boto3\n",
    "import boto3\n"
    "import chalice, pynamodb.models\n"
    "from pydantic import BaseModel\n"
    "class Body(BaseModel):\n    checkout_id: str\n"
    "Body.model_validate({'checkout_id': 'c'})\n"
    "from aws_lambda_powertools import Logger, Metrics, Tracer\n"
    "Tracer(service='floor'); Logger(service='floor'); Metrics(namespace='floor')\n",
    1,
)
assert FLOOR_CHILD != RAW_CHILD


def sample(code: str, args: list[str], env: dict[str, str]) -> dict[str, float]:
    p = subprocess.run(
        [str(PYTHON), "-c", code, *args],
        cwd=ROOT,
        env={**env, "_X_AMZN_TRACE_ID": trace_header()},
        capture_output=True,
        text=True,
        timeout=120,
    )
    if p.returncode != 0:
        raise RuntimeError(f"cold payment failed ({p.returncode}): {(p.stderr or p.stdout).strip()[-800:]}")
    return json.loads(p.stdout.strip().splitlines()[-1])


def run(
    api: Api, template: dict[str, Any], work: Path, runs: int = 12, budget_seconds: float = 150.0
) -> dict[str, Any]:
    deadline = Deadline(budget_seconds)
    payer = api.user(f"bench-cold-{uuid.uuid4().hex[:8]}")
    api.fund(payer, PAY_AMOUNT * (runs + 4))
    raw = RawPayment(api.info, template)
    raw.prepare(2 * runs + 4)
    env = invoke_env(api.info)
    work.mkdir(parents=True, exist_ok=True)

    ready = api.open_checkouts(payer, runs + 2, merchant_id=template.get("merchant_id", MERCHANT))

    def app_once() -> dict[str, float]:
        path = work / "cold_event.json"
        path.write_text(json.dumps(payment_event(payer.token, ready.pop())))
        return sample(APP_CHILD, [str(path)], env)

    def raw_once() -> dict[str, float]:
        path = work / "cold_raw.json"
        path.write_text(json.dumps(raw.ready.pop()))
        return sample(RAW_CHILD, [str(path), api.info.aws_endpoint], env)

    def floor_once() -> dict[str, float]:
        path = work / "cold_floor.json"
        path.write_text(json.dumps(raw.ready.pop()))
        return sample(FLOOR_CHILD, [str(path), api.info.aws_endpoint], env)

    app_once(), raw_once(), floor_once()  # warm the file cache and write .pyc once, as later processes find them
    once = {"app": app_once, "raw": raw_once, "floor": floor_once}
    got: dict[str, list[dict[str, float]]] = {k: [] for k in once}
    kinds = list(once)
    for i in range(runs):
        if deadline.passed and i >= 3:
            break
        for kind in kinds[i % 3 :] + kinds[: i % 3]:  # each kind goes first, second and third in turn
            got[kind].append(once[kind]())
    apps, raws, floors = got["app"], got["raw"], got["floor"]
    a = statistics.median(x["total_s"] for x in apps)
    b = statistics.median(x["total_s"] for x in raws)
    f = statistics.median(x["total_s"] for x in floors)
    return {
        "floor_median_s": round(f, 4),
        "ratio_floor_over_raw": round(f / b, 3),
        "ratio_app_over_floor": round(a / f, 3),
        "runs_each": len(apps),
        "target_ratio": TARGET_RATIO,
        "app_median_s": round(a, 4),
        "raw_median_s": round(b, 4),
        "ratio_app_over_raw": round(a / b, 3),
        "met": a / b <= TARGET_RATIO,
        "app_import_median_s": round(statistics.median(x["import_s"] for x in apps), 4),
        "raw_import_median_s": round(statistics.median(x["import_s"] for x in raws), 4),
        "app_samples_s": [round(x["total_s"], 4) for x in apps],
        "raw_samples_s": [round(x["total_s"], 4) for x in raws],
    }


def rows(res: dict[str, Any]) -> list[Row]:
    n = res["runs_each"]
    return [
        Row(
            "app: import + first payment over the handler (median)",
            f"{res['app_median_s'] * 1000:.0f} ms (n={n}; import {res['app_import_median_s'] * 1000:.0f} ms)",
        ),
        Row(
            "boto3: import + client + the same storage calls (median)",
            f"{res['raw_median_s'] * 1000:.0f} ms (n={n}; import {res['raw_import_median_s'] * 1000:.0f} ms)",
        ),
        Row(
            "floor: boto3 + Chalice, pydantic (one model), Powertools, PynamoDB + the same calls (median)",
            f"{res['floor_median_s'] * 1000:.0f} ms (n={n})",
        ),
        Row("ratio floor / boto3: what the libraries cost", f"{res['ratio_floor_over_raw']:.2f}"),
        Row("ratio app / floor: what the app's own code costs", f"{res['ratio_app_over_floor']:.2f}"),
        Row(
            "ratio app / boto3 (tracing on, as deployed)",
            f"{res['ratio_app_over_raw']:.2f}",
            f"<= {TARGET_RATIO}",
            res["met"],
        ),
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
