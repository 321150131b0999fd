"""What the gateway itself answers, over real HTTP against the local stack: an unknown route is a 404 in the
error envelope whether or not a token comes with it, and the token is never echoed; a body over the limit
is a 413 ``payload_too_large`` in the envelope, before it is parsed (and, locally, before it is read).
"""

from __future__ import annotations

import json
import time
import uuid

import pytest
import requests

pytestmark = pytest.mark.e2e

LIMIT = 262144  # MAX_BODY_BYTES: the documented default, which the local stack keeps (docs/configuration.md)


def assert_envelope(r: requests.Response, status: int, code: str, request_id: bool = True) -> dict:
    """The answer is ``status`` with ``code`` in the error envelope (and, if ``request_id``, its details name
    the X-Request-Id the answer carries, as the gateway's answers and the body limit's do)."""
    assert r.status_code == status, (r.status_code, r.headers, r.text[:500])
    assert r.headers["Content-Type"].startswith("application/json"), r.headers
    body = r.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "details"}, body
    assert body["error"]["code"] == code, body
    assert isinstance(body["error"]["message"], str) and body["error"]["message"], body
    assert r.headers["X-Request-Id"], r.headers
    if request_id:
        assert body["error"]["details"]["request_id"] == r.headers["X-Request-Id"], (body, r.headers)
    return body["error"]


def padded(prefix: bytes, size: int) -> bytes:
    """``prefix`` followed by spaces, ``size`` bytes in all (spaces after a JSON object keep it valid JSON)."""
    assert len(prefix) <= size
    return prefix + b" " * (size - len(prefix))


# ---- unknown routes ----------------------------------------------------------------------------


def test_an_unknown_path_without_a_token_is_a_404_in_the_envelope(api):
    r = api.http.get(f"{api.url}/v1/no-such-thing", timeout=30)

    assert_envelope(r, 404, "not_found")
    assert "Authentication Token" not in r.text


def test_an_unknown_path_with_a_valid_token_is_a_404_that_never_echoes_the_token(api):
    admin = api.admin()
    for method, path in (("GET", "/v1/admin/rewards"), ("POST", "/v1/admin/rewards"), ("GET", "/v1/nothing/here")):
        r = api.http.request(method, f"{api.url}{path}", headers={"Authorization": f"Bearer {admin.token}"}, timeout=30)

        assert_envelope(r, 404, "not_found")
        answer = r.text + "\n".join(f"{k}: {v}" for k, v in r.headers.items())
        # neither the whole token nor any of its three parts (header, claims, signature) comes back
        for part in (admin.token, *admin.token.split(".")):
            assert part not in answer, (method, path, r.headers, r.text)
        assert "Bearer" not in answer and "Authorization" not in r.text


# ---- the body limit ------------------------------------------------------------------------------


def topup(api, raw: bytes, user=None) -> requests.Response:
    user = user or api.user("gateway-envelope")
    return api.http.post(
        f"{api.url}/v1/topups",
        data=raw,
        timeout=60,
        headers={**user.headers(f"gw-{uuid.uuid4()}"), "Content-Type": "application/json"},
    )


def test_a_body_one_byte_over_the_limit_is_a_413_in_the_envelope(api):
    raw = padded(json.dumps({"amount": 1000, "channel": "card"}).encode(), LIMIT + 1)

    r = topup(api, raw)

    error = assert_envelope(r, 413, "payload_too_large")
    assert error["details"]["limit"] == LIMIT and str(LIMIT) in error["message"]


def test_a_body_at_the_limit_is_read_and_parsed(api):
    """At the limit the body is the route's to judge: bad JSON is a 400, not a 413; good JSON is a top-up."""
    bad = topup(api, padded(b'{"amount": 1000,', LIMIT))
    assert_envelope(bad, 400, "invalid_json", request_id=False)

    good = topup(api, padded(json.dumps({"amount": 1000, "channel": "card"}).encode(), LIMIT))
    assert good.status_code == 201, good.text
    assert good.json()["status"] == "pending"


def test_a_40_mib_body_is_refused_without_being_read(api):
    raw = padded(json.dumps({"amount": 1000, "channel": "card"}).encode(), 40 * 1024 * 1024)
    started = time.monotonic()

    with requests.Session() as fresh:  # the server closes this connection after answering
        user = api.user("gateway-envelope")
        r = fresh.post(
            f"{api.url}/v1/topups",
            data=raw,
            timeout=60,
            headers={**user.headers(f"gw-{uuid.uuid4()}"), "Content-Type": "application/json"},
        )

    assert_envelope(r, 413, "payload_too_large")
    assert r.headers.get("Connection", "").lower() == "close"
    assert time.monotonic() - started < 10
    assert api.get("/v1/health").status_code == 200  # and the server goes on serving


def test_the_413_comes_before_a_single_byte_of_the_body(api):
    """Headers announcing 40 MiB and no body at all: a server that read the body would wait for it; this one
    answers at once, and closes the connection (the body is never taken off it)."""
    import socket
    from urllib.parse import urlsplit

    user = api.user("gateway-envelope")
    url = urlsplit(api.url)
    head = (
        f"POST /v1/topups HTTP/1.1\r\nHost: {url.netloc}\r\nAuthorization: Bearer {user.token}\r\n"
        f"Idempotency-Key: gw-{uuid.uuid4()}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {40 * 1024 * 1024}\r\n\r\n"
    )
    with socket.create_connection((url.hostname, url.port), timeout=5) as sock:
        sock.sendall(head.encode())
        received = b""
        while chunk := sock.recv(65536):  # b"" once the server has closed; a timeout if it waited for the body
            received += chunk

    status_line, _, rest = received.partition(b"\r\n")
    headers, _, body = rest.partition(b"\r\n\r\n")
    assert status_line.split(b" ")[1] == b"413", received[:500]
    assert b"connection: close" in headers.lower()
    assert json.loads(body)["error"]["code"] == "payload_too_large"
    assert user.token.encode() not in received
