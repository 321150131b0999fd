"""The post-deploy smoke checks (infra/smoke.py): each one passes on the behaviour it promises and fails without it.

CloudFront cannot run here, so the edge checks are exercised against two small HTTP servers answering the
way a correct and a broken edge would; the app-level checks run against the real local stack in
tests/e2e/test_smoke.py.
"""

from __future__ import annotations

import json
import threading
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from infra.smoke import FAIL, NOT_APPLICABLE, PASS, Target, run_checks

FORBIDDEN = {"error": {"code": "forbidden", "message": "requests must come through CloudFront", "details": {}}}
UNAUTHENTICATED = {
    "error": {"code": "unauthenticated", "message": "a valid bearer ID token is required", "details": {}}
}


def serve(behaviour: dict[str, Any]) -> tuple[ThreadingHTTPServer, str]:
    """An HTTP server answering GET paths from `behaviour`: path -> callable(hits) -> (status, headers, body)."""
    hits: Counter[str] = Counter()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            hits[self.path] += 1
            answer = behaviour.get(self.path) or behaviour.get("*")
            status, headers, body = answer(hits[self.path]) if answer else (404, {}, {"error": {"code": "x"}})
            data = json.dumps(body).encode()
            self.send_response(status)
            for k, v in {"Content-Type": "application/json", **headers}.items():
                self.send_header(k, v)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"


SECURITY = {"Strict-Transport-Security": "max-age=31536000", "X-Content-Type-Options": "nosniff"}
GOOD_EDGE = {
    "/v1/health": lambda n: (200, {"X-Request-Id": "r-1", **SECURITY}, {"status": "ok"}),
    "/v1/wallet": lambda n: (401, SECURITY, UNAUTHENTICATED),
    "/v1/openapi.json": lambda n: (
        200,
        {"X-Cache": "Miss from cloudfront" if n == 1 else "Hit from cloudfront"},
        {"openapi": "3.1.0"},
    ),
}
BROKEN_EDGE = {
    "/v1/health": lambda n: (200, {"X-Request-Id": "r-1"}, {"status": "ok"}),  # no security headers
    "/v1/wallet": lambda n: (200, {}, {"balance": {"total": 0}}),  # a private route answering anyone
    "/v1/openapi.json": lambda n: (200, {"X-Cache": "Miss from cloudfront"}, {"openapi": "3.1.0"}),  # never cached
}


@pytest.fixture
def servers():
    started = []

    def start(behaviour: dict[str, Any]) -> str:
        server, url = serve(behaviour)
        started.append(server)
        return url

    yield start
    for server in started:
        server.shutdown()
        server.server_close()


def outcomes(target: Target) -> dict[str, str]:
    return {r.check: r.outcome for r in run_checks(target)}


def test_every_check_passes_on_an_edge_that_keeps_its_promises(servers):
    edge = servers(GOOD_EDGE)
    origin = servers({"*": lambda n: (403, {}, FORBIDDEN)})
    got = outcomes(Target(url=f"{edge}/v1", origin=f"{origin}/v1"))
    # plain HTTP is the one check this edge (plain HTTP itself) must fail: it answers 200 over HTTP
    assert got.pop("plain HTTP is refused (403)") == FAIL
    assert got.pop("a valid ID token is let through (200)") == NOT_APPLICABLE  # no SMOKE_TOKEN (tests/e2e)
    assert set(got.values()) == {PASS}, got


def test_plain_http_passes_only_where_http_is_refused(servers):
    refusing = servers({"*": lambda n: (403, {}, {"message": "HTTPS only"})})
    origin = servers({"*": lambda n: (403, {}, FORBIDDEN)})
    got = outcomes(Target(url=f"{refusing}/v1", origin=f"{origin}/v1"))
    assert got["plain HTTP is refused (403)"] == PASS
    assert got["health answers through the public URL"] == FAIL


def test_each_broken_promise_is_reported(servers):
    edge = servers(BROKEN_EDGE)
    origin = servers({"*": lambda n: (200, {}, {"status": "ok"})})  # answers without CloudFront's key
    got = outcomes(Target(url=f"{edge}/v1", origin=f"{origin}/v1"))
    assert got["health answers through the public URL"] == PASS
    for check in (
        "security headers are added",
        "a private route refuses a missing token (401)",
        "a private route refuses a forged token (401)",
        "the OpenAPI document is served from the cache",
        "the API refuses calls that bypass CloudFront (403)",
    ):
        assert got[check] == FAIL, check


def test_an_unreachable_target_fails_instead_of_crashing(servers):
    url = servers({})
    got = outcomes(Target(url="http://127.0.0.1:9/v1", origin=f"{url}/v1"))  # port 9: nothing listens
    assert got["health answers through the public URL"] == FAIL


def test_without_cloudfront_the_edge_checks_are_not_applicable(servers):
    edge = servers(GOOD_EDGE)
    got = outcomes(Target(url=f"{edge}/v1"))
    assert got["security headers are added"] == NOT_APPLICABLE
    assert got["the API refuses calls that bypass CloudFront (403)"] == NOT_APPLICABLE
    assert got["a private route refuses a missing token (401)"] == PASS


def test_the_outputs_it_reads_are_the_ones_the_service_stack_exports(synth):
    for stage in ("dev", "prod"):
        assert {"Url", "RestApiId"} <= set(synth.templates[stage]["Outputs"])
