"""What the service logs: JSON lines carrying the request id, EMF metrics, and never a token."""

from __future__ import annotations

import json
import uuid
from pathlib import Path


def log_lines(local_stack) -> list[dict]:
    lines = []
    for raw in (Path(local_stack.log_dir) / "chalice.log").read_text().splitlines():
        if raw.startswith("{"):
            try:
                lines.append(json.loads(raw))
            except ValueError:
                pass
    return lines


def test_a_refusal_is_logged_with_the_request_id_the_caller_was_given(api, local_stack):
    user = api.unique_user("logs")
    r = api.pay(user, 100)  # an empty wallet: refused
    assert r.status_code == 422
    request_id = r.headers["X-Request-Id"]
    mine = [line for line in log_lines(local_stack) if line.get("correlation_id") == request_id]
    assert [line["message"] for line in mine] == ["request refused"]
    assert mine[0]["status"] == 422 and mine[0]["error"] == "PaymentRefused"
    assert mine[0]["path"] == "/v1/payments" and mine[0]["method"] == "POST"


def test_a_payment_publishes_its_metrics_in_embedded_metric_format(api, local_stack):
    user = api.unique_user("metrics")
    api.fund(user, 1000)
    assert api.pay(user, 777).status_code == 201
    emf = [line for line in log_lines(local_stack) if "_aws" in line and "PaymentAmount" in line]
    assert any(
        line["PaymentAmount"] == [777.0] and line["_aws"]["CloudWatchMetrics"][0]["Namespace"] == "StoreBalance"
        for line in emf
    )


def test_no_token_or_signature_ever_reaches_the_logs(api, local_stack):
    user = api.unique_user("secret")
    api.fund(user, 1000)
    api.pay(user, 10, key=str(uuid.uuid4()))
    api.get("/v1/wallet", None, headers={"Authorization": f"Bearer {user.token}x"})  # a broken token too
    text = (Path(local_stack.log_dir) / "chalice.log").read_text()
    header, payload, signature = user.token.split(".")
    assert signature not in text and payload not in text
    assert api.info.webhook_secret not in text
