"""Property-based API testing: schemathesis generates requests from the app's own OpenAPI document
(GET /v1/openapi.json) and sends them to the running local stack as a funded customer.

Checks on every response: no 5xx; the status is one the document declares; the content type is
the declared one; the body matches the declared schema (the success model or the error envelope).

The run is the schemathesis CLI in a subprocess: its exit code is the verdict and its output
(seed, failing case, a curl to reproduce it) is printed when it fails. A second test runs the same
command against a tiny server that answers 500, to prove the harness does fail when it should.
"""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.e2e.conftest import own_stack_fixtures

pytestmark = pytest.mark.e2e

# a stack of its own: as an admin it creates plans, tiers and promotions of every shape, which would
# otherwise apply to the other modules' top-ups and payments
local_stack, api, ddb = own_stack_fixtures()

CHECKS = ("not_a_server_error", "response_schema_conformance", "status_code_conformance",
          "content_type_conformance", "negative_data_rejection")
MAX_EXAMPLES = int(os.environ.get("SCHEMATHESIS_MAX_EXAMPLES", "50"))
SCHEMATHESIS = str(Path(sys.executable).with_name("schemathesis"))


def run_schemathesis(schema_url: str, tmp_path: Path, headers: dict[str, str] | None = None,
                     max_examples: int = MAX_EXAMPLES, timeout: float = 600) -> subprocess.CompletedProcess:
    args = [
        SCHEMATHESIS, "run", schema_url,
        "--checks", ",".join(CHECKS),
        "--max-examples", str(max_examples),
        "--phases", "examples,coverage,fuzzing",
        # one worker: Hypothesis describes strategies with ast.parse, which is not thread-safe on
        # Python 3.11 (SystemError "AST constructor recursion depth mismatch" with several workers)
        "--workers", "1",
        "--request-timeout", "30",
        "--generation-database", "none",
        "--no-color",
    ]
    # a fixed seed by default, so a run is reproducible; set SCHEMATHESIS_SEED to explore other cases
    args += ["--seed", os.environ.get("SCHEMATHESIS_SEED", "20261125")]
    for name, value in (headers or {}).items():
        args += ["--header", f"{name}: {value}"]
    # run in a scratch directory: whatever schemathesis writes (reports, caches) stays out of the repo
    return subprocess.run(args, cwd=tmp_path, capture_output=True, text=True, timeout=timeout,
                          env={**os.environ, "NO_COLOR": "1", "SCHEMATHESIS_TELEMETRY": "false"})


@pytest.mark.parametrize("role", ["customer", "admin"])
def test_the_api_conforms_to_its_openapi_document(api, tmp_path, role):
    """As a funded customer (the public surface), then as an admin (the operator routes' answers,
    which a customer only ever sees refused with 403)."""
    if role == "customer":
        caller = api.unique_user("fuzz")
        api.fund(caller, 1_000_000)  # funded: payments reach the ledger, not only "insufficient balance"
    else:
        caller = api.unique_user("fuzz-admin", "admin")
    schema_url = f"{api.url}/v1/openapi.json"
    document = api.http.get(schema_url, timeout=30).json()
    operations = sum(len(methods) for methods in document["paths"].values())

    result = run_schemathesis(schema_url, tmp_path, headers={"Authorization": f"Bearer {caller.token}"})

    output = result.stdout + result.stderr
    print(output)  # the run's summary, shown with -rP / -s
    assert result.returncode == 0, f"schemathesis exited with {result.returncode}:\n{output}"
    tested = re.search(r"Tested:\s+(\d+)", output)
    assert tested and int(tested.group(1)) == operations, output  # every operation was exercised


# ---- the harness can fail -------------------------------------------------------------------

BROKEN_SCHEMA = {
    "openapi": "3.1.0",
    "info": {"title": "broken", "version": "1"},
    "paths": {"/boom": {"get": {
        "operationId": "boom",
        "parameters": [{"name": "n", "in": "query", "required": False, "schema": {"type": "integer"}}],
        "responses": {"200": {"description": "ok", "content": {"application/json": {"schema": {
            "type": "object", "properties": {"ok": {"type": "boolean"}}, "required": ["ok"]}}}}},
    }}},
}


class _Broken(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        if self.path.startswith("/openapi.json"):
            status, body = 200, BROKEN_SCHEMA
        else:
            status, body = 500, {"error": {"code": "internal_error", "message": "boom", "details": {}}}
        raw = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)

    def log_message(self, *args: object) -> None:
        pass


def test_the_harness_fails_on_a_server_error(tmp_path):
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Broken)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        result = run_schemathesis(f"http://127.0.0.1:{server.server_port}/openapi.json", tmp_path,
                                  max_examples=5, timeout=120)
    finally:
        server.shutdown()
        server.server_close()
    output = result.stdout + result.stderr
    assert result.returncode != 0, output
    assert "Server error" in output or "not_a_server_error" in output, output
