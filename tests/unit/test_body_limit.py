"""A body over Settings.max_body_bytes is refused 413 ``payload_too_large`` by the app's http middleware, before
the route runs (so before the body is parsed): the cloud path, where no local server stands in front.

Through the real app and Chalice's test client; the topup view is replaced by a spy for each test, so the
test proves which requests reach it.
"""

from __future__ import annotations

import json

import pytest
from chalice.test import Client

from chalicelib.api.gateway import GATEWAY_RESPONSES, NO_ROUTE, envelope
from chalicelib.config import get_settings
from chalicelib.services.common import error_body

LIMIT = 262144  # the documented default (docs/configuration.md)


@pytest.fixture
def topup_view(monkeypatch):
    """POST /v1/topups of the real app, its view a spy that records each call and answers 201."""
    from app import app

    get_settings()  # settings cached from the tests' environment, not the test client's stage variables
    calls: list[dict] = []

    def spy(**kwargs):
        calls.append(kwargs)
        return {"reached": True}

    monkeypatch.setattr(app.routes["/v1/topups"]["POST"], "view_function", spy)
    with Client(app) as client:
        yield client, calls


def post(client, raw: bytes):
    return client.http.post(
        "/v1/topups", body=raw, headers={"Content-Type": "application/json", "Idempotency-Key": "k-body-limit"}
    )


def test_the_default_limit_is_256_kib():
    assert get_settings().max_body_bytes == LIMIT


def test_a_body_over_the_limit_is_refused_before_the_route_runs(topup_view):
    client, calls = topup_view
    raw = b'{"amount": 100}' + b" " * (LIMIT + 1 - len(b'{"amount": 100}'))  # valid JSON, one byte too many

    r = post(client, raw)

    assert r.status_code == 413
    assert r.headers["Content-Type"] == "application/json"
    body = json.loads(r.body)
    assert body == error_body(
        "payload_too_large",
        f"the body is larger than {LIMIT} bytes",
        {"limit": LIMIT, "request_id": r.headers["X-Request-Id"]},
    )
    assert calls == []  # the view (and its parsing) never ran


def test_a_body_at_the_limit_reaches_the_route(topup_view):
    client, calls = topup_view
    raw = b'{"amount": 100}' + b" " * (LIMIT - len(b'{"amount": 100}'))

    r = post(client, raw)

    assert len(raw) == LIMIT
    assert (r.status_code, json.loads(r.body)) == (200, {"reached": True})
    assert len(calls) == 1


def test_the_limit_is_read_from_max_body_bytes(monkeypatch):
    monkeypatch.setenv("MAX_BODY_BYTES", "1024")
    get_settings.cache_clear()
    try:
        assert get_settings().max_body_bytes == 1024
    finally:
        get_settings.cache_clear()


def test_the_gateway_answers_are_the_apps_envelope_and_echo_nothing():
    """The local server and API Gateway answer from one table, in the app's envelope, with fixed text."""
    assert envelope(NO_ROUTE, "rid-1") == error_body("not_found", "no such route", {"request_id": "rid-1"})
    assert GATEWAY_RESPONSES["REQUEST_TOO_LARGE"][:2] == (413, "payload_too_large")
    for kind, row in GATEWAY_RESPONSES.items():
        assert "$" not in row.message and "{" not in row.message, kind
