"""The OpenAPI document against the running API: schemathesis generates requests from it.

No 5xx anywhere; every response has a documented status, content type and a
body that matches its schema; requests the schema forbids are refused.
"""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

CHECKS = ",".join([
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_schema_conformance",
    "negative_data_rejection",
])


def test_the_document_is_openapi_3_1_and_lists_every_route(api):
    import app  # noqa: F401  (registers the routes)
    from chalicelib.api.routing import ROUTES

    doc = api.get("/v1/openapi.json").json()
    assert doc["openapi"] == "3.1.0"
    listed = {(method.upper(), path) for path, ops in doc["paths"].items() for method in ops}
    assert listed == {(r.method, r.path) for r in ROUTES}
    pay = doc["paths"]["/v1/payments"]["post"]
    assert pay["requestBody"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/PaymentRequest"}
    assert any(p["name"] == "Idempotency-Key" and p["required"] for p in pay["parameters"])


def test_schemathesis_finds_no_server_error_and_no_schema_mismatch(api, tmp_path):
    # an admin with a funded wallet reaches every route: customer, merchant-side refunds and admin
    caller = api.user("contract-admin", "admin")
    api.fund(caller, 1_000_000)
    schemathesis = Path(sys.executable).parent / "schemathesis"
    cmd = [str(schemathesis), "run", f"{api.url}/v1/openapi.json", "--checks", CHECKS,
           "--header", f"Authorization: Bearer {caller.token}", "--max-examples", "30", "--seed", "20261125",
           "--request-timeout", "20", "--no-color", "--suppress-health-check", "all"]
    run = subprocess.run(cmd, capture_output=True, text=True, timeout=600, cwd=tmp_path)
    assert run.returncode == 0, run.stdout[-8000:] + run.stderr[-2000:]
