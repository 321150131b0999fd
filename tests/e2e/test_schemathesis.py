"""Property-based API testing: schemathesis generates requests from the app's own OpenAPI document
(GET /v1/openapi.json) and sends them to the running local stack as a funded customer.

Checks on every response: no 5xx; the status is one the document declares; the content type is
the declared one; the body matches the declared schema (the success model or the error envelope);
a request the document refuses is refused (negative data); a request the document allows is not
refused with 400 (positive data: the document says exactly what the service accepts), but for the
refusals listed in UNSTATABLE, which no JSON Schema can state, each with its reason.

The run is the schemathesis CLI in a subprocess: its exit code is the verdict and its output
(seed, failing case, a curl to reproduce it) is printed when it fails. This module is also the run's
hooks file (SCHEMATHESIS_HOOKS): it registers the positive-data check with those exceptions and the
spelling of integers (see ``before_call``). Two more tests run the same command against a tiny
server that answers 500, or 400 to what its document allows, to prove the harness does fail when
it should.
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
from typing import Any

import pytest
import schemathesis
from schemathesis.specs.openapi.checks import positive_data_acceptance

from tests.e2e.conftest import own_stack_fixtures

pytestmark = pytest.mark.e2e

# a stack of its own: as an admin it creates plans, tiers and promotions of every shape, which would
# otherwise apply to the other modules' top-ups and payments
local_stack, api, ddb = own_stack_fixtures()

ROOT = Path(__file__).resolve().parents[2]
CHECKS = (
    "not_a_server_error",
    "response_schema_conformance",
    "status_code_conformance",
    "content_type_conformance",
    "negative_data_rejection",
    "positive_data_acceptance_but_unstatable",
)
# generated cases per operation in the fuzzing phase (the examples and coverage phases add their own, about 20 s
# a run): 12 in `make test` (about 35 s a run), `make fuzz` for a deeper run (SCHEMATHESIS_MAX_EXAMPLES, 200)
MAX_EXAMPLES = int(os.environ.get("SCHEMATHESIS_MAX_EXAMPLES", "12"))
# The coverage phase (some 2,000 generated boundary and negative cases a run, the largest part of its time) runs in
# the admin's run, over every operation; in `make test` the customer's run is the examples and fuzzing phases with
# twice the fuzzed cases (a funded customer's requests, which reach the ledger). `make fuzz`: every phase for both.
DEEP = "SCHEMATHESIS_MAX_EXAMPLES" in os.environ
SCHEMATHESIS = str(Path(sys.executable).with_name("schemathesis"))


# ---- the positive-data check, and what it leaves to words ------------------------------------

PAGED = (
    "listWalletEntries",
    "adminListWalletEntries",
    "listPointsEntries",
    "listNotifications",
    "adminListFeedback",
    "segmentMembers",
)
TWO_TIMES = "compares two times of the request: JSON Schema compares a value with constants only"
CLOCK = "compares a time of the request with the clock"
STATE = "depends on what the ledger holds (answered 400 rather than 404 or 422: other tests pin the code)"

# (operationId, error code, details.field or None for any, words of the message or None): why a request the
# document allows is refused with it. Everything else a schema could state, and the document does.
UNSTATABLE: dict[tuple[str, str, str | None, str | None], str] = {
    **{
        (op, "invalid_cursor", "cursor", None): "a cursor is opaque: only a next_cursor this API returned is one, "
        "which a generated string is not"
        for op in PAGED
    },
    ("adminListFeedback", "invalid_date_range", None, None): "from after to: " + TWO_TIMES,
    ("createCheckout", "amount_exceeds_limit", None, None): "the order's total, a sum of products of its lines, is "
    "above the per-transaction limit (each unit_price alone is within it, as the document says)",
    ("putCouponDefinition", "invalid_request", "valid_to", None): "valid_to not after valid_from: " + TWO_TIMES,
    ("putTopupPlan", "invalid_topup_plan", "valid_to", None): "valid_to not after valid_from: " + TWO_TIMES,
    ("createPromotion", "invalid_window", None, None): "ends_at not after starts_at: " + TWO_TIMES,
    ("createPromotion", "promotion_too_long", None, None): "ends_at too long after starts_at: " + TWO_TIMES,
    ("createPromotion", "starts_in_past", None, None): CLOCK,
    ("createPromotion", "ends_in_past", None, None): CLOCK,
    ("createPromotion", "merchant_id_required", None, None): "depends on the caller: a merchant's staff name their "
    "merchant, an admin need not (one document for every caller)",
    ("createPromotion", "unknown_coupon_definition", None, None): STATE,
    ("createPromotion", "coupon_definition_expired", None, None): STATE + "; and compares its valid_to with starts_at",
    ("createPromotion", "unknown_tier", None, None): STATE,
    ("createCampaign", "unknown_coupon_definition", None, None): STATE,
    ("createCampaign", "coupon_definition_expired", None, None): STATE + "; and compares its valid_to with run_at",
    ("createCampaign", "run_at_in_past", None, None): CLOCK,
    ("createCampaign", "run_at_too_far", None, None): CLOCK,
    ("createCampaign", "duplicate_choices", None, None): "a survey's choices compared with each other",
    ("requestBacktest", "invalid_request", "coupon_definition.valid_to", None): "valid_to not after valid_from: "
    + TWO_TIMES,
    ("requestBacktest", "coupon_for_another_merchant", None, None): "compares the definition's merchant_id with the "
    "path's merchant",
    (
        "requestBacktest",
        "invalid_request",
        "partial_pay.windows",
        "from and to are the same time",
    ): "a window's from equal to its to: compares two fields",
    ("putTiers", "invalid_request", "tiers", None): "thresholds rising strictly, names unique: compares the items "
    "with each other (the first threshold's 0 the document states)",
    **{
        ("recordBehaviourEvents", code, None, None): "a behaviour event's properties depend on its type "
        "(domain/behaviour.py; the document names the types and their properties in words, not yet as one "
        "schema per type)"
        for code in ("unknown_event_type", "missing_event_property", "unknown_event_property", "invalid_event_property")
    },
    **{
        (op, "invalid_date_range", None, None): "from after to, or more than 366 days between them: " + TWO_TIMES
        for op in ("reportObstacles", "reportBreakage", "reportBalanceShare", "reportSegments", "reportFeedback")
    },
    **{
        (op, "invalid_unsubscribe_token", "token", None): "an unsubscribe token is the service's own HMAC: only one "
        "it signed is one, which a generated string is not"
        for op in ("unsubscribeLink", "unsubscribeOneClick")
    },
    ("requestSegmentation", "as_of_in_future", None, None): CLOCK,
    ("requestSegmentation", "as_of_too_old", None, None): CLOCK,
    ("recordBehaviourEvents", "event_in_future", None, None): CLOCK,
    ("recordBehaviourEvents", "event_too_old", None, None): CLOCK,
    ("recordBehaviourEvents", "duplicate_event_id", None, None): "two events' ids compared with each other",
    (
        "putBalanceRules",
        "invalid_request",
        "partial_pay.windows",
        "from and to are the same time",
    ): "a window's from equal to its to: compares two fields",
}


def unstatable(case: Any, response: Any) -> str | None:
    """The reason a refusal of ``case`` is one the document cannot state, or None."""
    if response.status_code != 400:
        return None
    try:
        error = response.json()["error"]
    except (ValueError, KeyError, TypeError):
        return None
    details = error.get("details") or {}
    for (operation, code, field, words), reason in UNSTATABLE.items():
        if (
            operation == case.operation.definition.raw.get("operationId")
            and code == error.get("code")
            and field in (None, details.get("field"))
            and (words is None or words in error.get("message", ""))
        ):
            return reason
    return None


@schemathesis.check
def positive_data_acceptance_but_unstatable(ctx, response, case):
    """schemathesis's positive_data_acceptance (a request the document allows is not refused), but for

    - 422: the request is well formed and the ledger's state refuses it (balance, points, a refund above what is
      left, an Idempotency-Key the generator used before with another body): the API's 422 is only ever that;
    - the refusals of UNSTATABLE, each with its reason.
    """
    if response.status_code == 422 or unstatable(case, response) is not None:
        return None
    return positive_data_acceptance(ctx, response, case)


def _integers_spelled_as_integers(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer() and abs(value) <= 2**53:
        return int(value)
    if isinstance(value, dict):
        return {k: _integers_spelled_as_integers(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_integers_spelled_as_integers(v) for v in value]
    return value


@schemathesis.hook
def before_call(context, case, kwargs):
    """An integer is sent as one: 137, not 137.0. JSON Schema's integer admits 137.0 (the same number), so the
    generator sends it for any integer; the API refuses it on purpose, as a float (400; tests/e2e/test_bad_input.py
    and tests/tables/bad_input.py pin that for every amount), and the document says so in words. Rewriting 137.0
    to 137 changes no request's validity under the schema (the two are equal to JSON Schema), so it keeps both
    data checks meaningful."""
    if isinstance(case.body, (dict, list)):
        body = _integers_spelled_as_integers(case.body)
        if json.dumps(body) != json.dumps(case.body):  # (137.0 == 137 in Python too: compare the spellings)
            case.body = body


def run_schemathesis(
    schema_url: str,
    tmp_path: Path,
    headers: dict[str, str] | None = None,
    max_examples: int = MAX_EXAMPLES,
    timeout: float = 600,
    exclude: tuple[str, ...] = (),
    phases: str = "examples,coverage,fuzzing",
) -> subprocess.CompletedProcess:
    args = [
        SCHEMATHESIS,
        "run",
        schema_url,
        "--checks",
        ",".join(CHECKS),
        "--max-examples",
        str(max_examples),
        "--phases",
        phases,
        # one worker: Hypothesis describes strategies with ast.parse, which is not thread-safe on
        # Python 3.11 (SystemError "AST constructor recursion depth mismatch" with several workers)
        "--workers",
        "1",
        "--request-timeout",
        "30",
        "--generation-database",
        "none",
        "--no-color",
    ]
    # a fixed seed by default, so a run is reproducible; set SCHEMATHESIS_SEED to explore other cases
    args += ["--seed", os.environ.get("SCHEMATHESIS_SEED", "20261125")]
    for operation_id in exclude:
        args += ["--exclude-operation-id", operation_id]
    for name, value in (headers or {}).items():
        args += ["--header", f"{name}: {value}"]
    # run in a scratch directory: whatever schemathesis writes (reports, caches) stays out of the repo; this
    # module is the hooks file (its imports need the repository on the path)
    env = {
        **os.environ,
        "NO_COLOR": "1",
        "SCHEMATHESIS_TELEMETRY": "false",
        "SCHEMATHESIS_HOOKS": __file__,
        "PYTHONPATH": os.pathsep.join(filter(None, (str(ROOT), os.environ.get("PYTHONPATH")))),
    }
    return subprocess.run(args, cwd=tmp_path, capture_output=True, text=True, timeout=timeout, env=env)


@pytest.mark.parametrize("role", ["customer", "admin"])
def test_the_api_conforms_to_its_openapi_document(api, tmp_path, role):
    """As a funded customer (the public surface), then as an admin (every operation: the operator routes'
    answers too). The customer's run leaves out the admin-only operations: to a customer they answer 403 before
    reading the request, whatever schemathesis generates, and the authorization matrix pins that refusal for
    every admin route and caller (tests/tables/authorization.py)."""
    import app  # noqa: F401 - the routes register themselves in ROUTES
    from chalicelib.api.routing import ROUTES

    exclude: tuple[str, ...] = ()
    if role == "customer":
        caller = api.unique_user("fuzz")
        api.fund(caller, 1_000_000)  # funded: payments reach the ledger, not only "insufficient balance"
        exclude = tuple(r.name for r in ROUTES if r.access == "admin")
        assert exclude
    else:
        caller = api.unique_user("fuzz-admin", "admin")
    schema_url = f"{api.url}/v1/openapi.json"
    document = api.http.get(schema_url, timeout=30).json()
    operations = sum(len(methods) for methods in document["paths"].values()) - len(exclude)

    phases, examples = "examples,coverage,fuzzing", MAX_EXAMPLES
    if role == "customer" and not DEEP:
        phases, examples = "examples,fuzzing", 2 * MAX_EXAMPLES
    result = run_schemathesis(
        schema_url,
        tmp_path,
        headers={"Authorization": f"Bearer {caller.token}"},
        exclude=exclude,
        phases=phases,
        max_examples=examples,
    )

    output = result.stdout + result.stderr
    print(output)  # the run's summary, shown with -rP / -s
    assert result.returncode == 0, f"schemathesis exited with {result.returncode}:\n{output}"
    tested = re.search(r"Tested:\s+(\d+)", output)
    assert tested and int(tested.group(1)) == operations, output  # every operation was exercised


# ---- the harness can fail -------------------------------------------------------------------

BROKEN_SCHEMA = {
    "openapi": "3.1.0",
    "info": {"title": "broken", "version": "1"},
    "paths": {
        "/boom": {
            "get": {
                "operationId": "boom",
                "parameters": [{"name": "n", "in": "query", "required": False, "schema": {"type": "integer"}}],
                "responses": {
                    "200": {
                        "description": "ok",
                        "content": {
                            "application/json": {
                                "schema": {
                                    "type": "object",
                                    "properties": {"ok": {"type": "boolean"}},
                                    "required": ["ok"],
                                }
                            }
                        },
                    },
                    "default": {
                        "description": "error",
                        "content": {"application/json": {"schema": {"type": "object"}}},
                    },
                },
            }
        }
    },
}


class _Broken(BaseHTTPRequestHandler):
    status = 500  # its answer to every request but the document's

    def do_GET(self) -> None:
        if self.path.startswith("/openapi.json"):
            status, body = 200, BROKEN_SCHEMA
        else:
            status, body = self.status, {"error": {"code": "boom", "message": "boom", "details": {}}}
        raw = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)

    def log_message(self, *args: object) -> None:
        pass


class _Refusing(_Broken):
    status = 400  # refuses the requests its document allows (a 400 the document declares)


def _run_against(handler: type[_Broken], tmp_path: Path) -> str:
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        result = run_schemathesis(
            f"http://127.0.0.1:{server.server_port}/openapi.json", tmp_path, max_examples=5, timeout=120
        )
    finally:
        server.shutdown()
        server.server_close()
    output = result.stdout + result.stderr
    assert result.returncode != 0, output
    return output


def test_the_harness_fails_on_a_server_error(tmp_path):
    output = _run_against(_Broken, tmp_path)
    assert "Server error" in output or "not_a_server_error" in output, output


def test_the_harness_fails_when_a_request_the_document_allows_is_refused(tmp_path):
    output = _run_against(_Refusing, tmp_path)
    assert "ST202 Schema-valid request rejected" in output, output
