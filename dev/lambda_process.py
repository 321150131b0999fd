"""A fresh Python process set up as a deployed Lambda function is, for the benchmarks and the tracing test.

``lambda_env`` is the function's environment: the stage's variables from
.chalice/config.json, the runtime's AWS_* and LAMBDA_TASK_ROOT, tracing on
unless asked otherwise, fake credentials, nothing of the calling shell.
``invoke_env`` points that at a running local stack. ``payment_event`` is an
API Gateway proxy event for POST /v1/payments, built by Chalice's own local
gateway converter. ``APP_CHILD`` is the program such a process runs: import
the app, hand it the event, print the timings (the answer must be 201).
"""

from __future__ import annotations

import json
import os
import uuid
from typing import Any

from dev.stack import ROOT, app_environment

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


def lambda_env(stage: str = "prod", tracing: bool = True) -> dict[str, str]:
    config = json.loads((ROOT / ".chalice" / "config.json").read_text())
    env = {k: str(v) for k, v in config.get("environment_variables", {}).items()}
    env.update({k: str(v) for k, v in config["stages"][stage].get("environment_variables", {}).items()})
    env.update(
        {
            "PATH": "/usr/local/bin:/usr/bin:/bin",
            "LANG": "en_US.UTF-8",
            "TZ": ":UTC",
            "AWS_REGION": "us-east-1",
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",  # nosec B105 B106 - moto's fixed test credentials
            "AWS_SESSION_TOKEN": "testing",  # nosec B105 B106 - moto's fixed test credentials
            "AWS_LAMBDA_FUNCTION_NAME": f"store-balance-{stage}",
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "1024",
            "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
            "AWS_EXECUTION_ENV": "AWS_Lambda_python3.11",
            "LAMBDA_TASK_ROOT": str(ROOT),
            "_HANDLER": "app.app",
            "COGNITO_USER_POOL_ID": "us-east-1_example",
            "COGNITO_APP_CLIENT_ID": "exampleclientid",
        }
    )
    if tracing:
        env.pop("POWERTOOLS_TRACE_DISABLED", None)
    else:
        env["POWERTOOLS_TRACE_DISABLED"] = "true"
    return env


def invoke_env(info: Any, daemon_address: str | None = None) -> dict[str, str]:
    """The deployed function's environment (tracing on), pointed at the running local stack."""
    env = lambda_env(tracing=True)
    local = app_environment(info)
    for name in (
        "POWERTOOLS_TRACE_DISABLED",
        "POWERTOOLS_METRICS_DISABLED",
        "PAYMENT_WEBHOOK_SECRET",
        "PAYMENT_WEBHOOK_SECRET_NAME",
        "AWS_REGION",
        "AWS_DEFAULT_REGION",
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
    ):
        local.pop(name, None)  # as deployed: tracing and metrics on, the Lambda's own region and credentials
    env.update(local)
    env["AWS_REGION"] = env["AWS_DEFAULT_REGION"] = info.region
    env["POWERTOOLS_LOG_LEVEL"] = "WARNING"
    if daemon_address:
        env["AWS_XRAY_DAEMON_ADDRESS"] = daemon_address
    return env


def trace_header(sampled: bool = True) -> str:
    """An ``_X_AMZN_TRACE_ID`` as Lambda sets it for an invocation."""
    import time

    return (
        f"Root=1-{int(time.time()):08x}-{os.urandom(12).hex()};Parent={os.urandom(8).hex()};"
        f"Sampled={1 if sampled else 0}"
    )


def payment_event(token: str, checkout_id: str) -> dict[str, Any]:
    """An API Gateway proxy event for POST /v1/payments of a checkout, as Chalice's local gateway builds it."""
    from chalice.local import LambdaEventConverter, RouteMatcher

    body = json.dumps({"checkout_id": checkout_id})
    headers = {
        "Authorization": f"Bearer {token}",
        "Idempotency-Key": str(uuid.uuid4()),
        "Content-Type": "application/json",
    }
    event = LambdaEventConverter(RouteMatcher(["/v1/payments"])).create_lambda_event(
        "POST", "/v1/payments", headers, body.encode()
    )
    event["body"] = body  # API Gateway hands Lambda the text of a JSON body
    event["requestContext"]["requestId"] = str(uuid.uuid4())
    return event
