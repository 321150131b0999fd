"""The ID-token check: what a Cognito ID token must be, proved with tokens made by PyJWT.

The key set is served over real HTTP on the loopback by a tiny JWKS server, so the fetch,
the cache and the unknown-kid refresh are exercised as they run against Cognito.
"""

from __future__ import annotations

import base64
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from chalicelib.api import auth
from chalicelib.api.auth import KeySet, KeySetUnavailable, verify_id_token
from chalicelib.domain.errors import Unauthenticated

ISSUER = "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_test"
AUDIENCE = "client-123"


def new_key() -> Any:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


KEY, OTHER_KEY = new_key(), new_key()


def jwk(private_key: Any, kid: str) -> dict[str, Any]:
    return {**json.loads(RSAAlgorithm.to_jwk(private_key.public_key())), "kid": kid, "alg": "RS256", "use": "sig"}


class JwksServer:
    """Serves {"keys": [...]} on 127.0.0.1 and counts the requests."""

    def __init__(self, keys: list[dict[str, Any]]) -> None:
        self.keys = keys
        self.requests = 0
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                server.requests += 1
                body = json.dumps({"keys": server.keys}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/.well-known/jwks.json"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()


@pytest.fixture(scope="module")
def jwks_server():
    server = JwksServer([])
    yield server
    server.httpd.shutdown()


@pytest.fixture()
def jwks(jwks_server):
    jwks_server.keys, jwks_server.requests = [jwk(KEY, "k1")], 0
    return jwks_server


def claims(**overrides: Any) -> dict[str, Any]:
    now = int(time.time())
    base = {
        "sub": "user-1",
        "iss": ISSUER,
        "aud": AUDIENCE,
        "token_use": "id",
        "iat": now,
        "exp": now + 3600,
        "cognito:groups": ["admin"],
    }
    base.update(overrides)
    return {k: v for k, v in base.items() if v is not None}


def token(
    payload: dict[str, Any] | None = None,
    key: Any = KEY,
    kid: str = "k1",
    alg: str = "RS256",
    headers: dict[str, Any] | None = None,
) -> str:
    return jwt.encode(
        claims() if payload is None else payload, key, algorithm=alg, headers={"kid": kid, **(headers or {})}
    )


def check(tok: str, url: str) -> dict[str, Any]:
    return verify_id_token(tok, KeySet(url), ISSUER, AUDIENCE)


def test_a_valid_id_token_gives_its_claims(jwks):
    got = check(token(), jwks.url)
    assert got["sub"] == "user-1" and got["cognito:groups"] == ["admin"]


def test_an_audience_list_that_names_the_client_is_accepted(jwks):
    assert check(token(claims(aud=["other", AUDIENCE])), jwks.url)["sub"] == "user-1"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _tampered_payload(_: str) -> str:
    h, _, s = token().split(".")
    return f"{h}.{_b64(json.dumps(claims(sub='someone-else')).encode())}.{s}"


def _alg_none(_: str) -> str:
    return f"{_b64(json.dumps({'alg': 'none', 'kid': 'k1'}).encode())}.{_b64(json.dumps(claims()).encode())}."


def _hs256_with_public_key(_: str) -> str:
    """Algorithm confusion: HMAC keyed with the public key's PEM."""
    import hashlib
    import hmac

    from cryptography.hazmat.primitives import serialization

    pem = KEY.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    head = _b64(json.dumps({"alg": "HS256", "kid": "k1"}).encode())
    body = _b64(json.dumps(claims()).encode())
    return f"{head}.{body}.{_b64(hmac.new(pem, f'{head}.{body}'.encode(), hashlib.sha256).digest())}"


def now() -> int:
    """The time when the case runs (not when the module was imported: a long session would age the tokens)."""
    return int(time.time())


REFUSED = {
    "signed by a key the pool never had": (lambda _: token(key=OTHER_KEY), "the token is not valid"),
    "a kid the pool does not have": (lambda _: token(kid="k-unknown"), "the token is not valid"),
    "the payload changed after signing": (_tampered_payload, "the token is not valid"),
    "alg none": (_alg_none, "the token is not valid"),
    "HS256 keyed with the public key": (_hs256_with_public_key, "the token is not valid"),
    "expired": (lambda _: token(claims(iat=now() - 4000, exp=now() - 60)), "the token has expired"),
    "issued in the future": (lambda _: token(claims(iat=now() + 600)), "the token is not valid"),
    "not before a future time": (lambda _: token(claims(nbf=now() + 600)), "the token is not valid"),
    "another pool": (lambda _: token(claims(iss=ISSUER + "x")), "the token is not valid"),
    "another app client": (lambda _: token(claims(aud="client-999")), "the token is not valid"),
    "an access token": (lambda _: token(claims(token_use="access")), "an ID token is required"),
    "no exp": (lambda _: token(claims(exp=None)), "the token is not valid"),
    "exp as text": (lambda _: token(claims(exp="9999999999")), "the token is not valid"),
    "an empty subject": (lambda _: token(claims(sub="")), "the token has no subject"),
    "a critical header extension": (lambda _: token(headers={"crit": ["b64"], "b64": False}), "the token is not valid"),
    "two parts": (lambda _: ".".join(token().split(".")[:2]), "the token is not valid"),
    "not base64url": (lambda _: "a*b.c.d", "the token is not valid"),
    "a header that is not JSON": (lambda _: f"{_b64(b'[1')}.{_b64(b'{}')}.", "the token is not valid"),
}


@pytest.mark.parametrize("case", list(REFUSED))
def test_a_token_is_refused_for_exactly_its_fault(jwks, case):
    make, message = REFUSED[case]
    with pytest.raises(Unauthenticated) as refused:
        check(make(None), jwks.url)
    assert str(refused.value) == message


def test_the_key_set_is_fetched_once_and_refetched_for_a_new_kid_at_most_once_a_minute(jwks, monkeypatch):
    keys = KeySet(jwks.url)
    for _ in range(3):
        verify_id_token(token(), keys, ISSUER, AUDIENCE)
    assert jwks.requests == 1
    # the pool rotates: a token under the new kid within the minute is refused without a fetch ...
    jwks.keys = [jwk(KEY, "k1"), jwk(OTHER_KEY, "k2")]
    with pytest.raises(Unauthenticated):
        verify_id_token(token(key=OTHER_KEY, kid="k2"), keys, ISSUER, AUDIENCE)
    assert jwks.requests == 1
    # ... and accepted once a minute has passed, after one fetch
    clock = time.monotonic() + auth.UNKNOWN_KID_REFRESH_SECONDS + 1
    monkeypatch.setattr(auth.time, "monotonic", lambda: clock)
    assert verify_id_token(token(key=OTHER_KEY, kid="k2"), keys, ISSUER, AUDIENCE)["sub"] == "user-1"
    assert jwks.requests == 2


def test_an_unreachable_key_set_is_our_fault_not_the_callers():
    with pytest.raises(KeySetUnavailable):
        check(token(), "http://127.0.0.1:9/.well-known/jwks.json")


# ---- the web app's sign-in client: its tokens are taken too, its id read from SSM only when a token names it


def web_settings(jwks_url: str, parameter: str | None):
    from dataclasses import replace

    from chalicelib.config import get_settings

    return replace(
        get_settings(),
        cognito_issuer=ISSUER,
        cognito_audience=AUDIENCE,
        jwks_url=jwks_url,
        cognito_web_client_parameter=parameter,
    )


def test_a_token_of_any_accepted_client_is_valid_and_of_no_other(jwks):
    keys = KeySet(jwks.url)
    assert verify_id_token(token(claims(aud="web-1")), keys, ISSUER, (AUDIENCE, "web-1"))["sub"] == "user-1"
    for refused in ("web-2", "", None):
        with pytest.raises(Unauthenticated):
            verify_id_token(token(claims(aud=refused)), keys, ISSUER, (AUDIENCE, "web-1", ""))


def test_the_web_clients_are_read_from_their_ssm_parameter_when_a_token_names_another_client(jwks, monkeypatch):
    import boto3
    from aws_lambda_powertools.utilities import parameters
    from moto import mock_aws

    with mock_aws():
        boto3.client("ssm", region_name="us-east-1").put_parameter(
            Name="/store-balance-test/web-client-ids", Value="web-1, web-3", Type="String"
        )
        parameters.clear_caches()
        monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
        reads = []
        real = auth.web_clients
        monkeypatch.setattr(auth, "web_clients", lambda name: reads.append(name) or real(name))
        settings = web_settings(jwks.url, "/store-balance-test/web-client-ids")

        api_user = auth.principal_from_header(f"Bearer {token()}", settings)
        assert api_user.user_id == "user-1" and reads == []  # the API's own client: no parameter read
        web_user = auth.principal_from_header(f"Bearer {token(claims(aud='web-3', sub='web-user'))}", settings)
        assert web_user.user_id == "web-user" and reads == ["/store-balance-test/web-client-ids"]
        with pytest.raises(Unauthenticated):
            auth.principal_from_header(f"Bearer {token(claims(aud='web-2'))}", settings)
        with pytest.raises(Unauthenticated):  # without the parameter only the API's client is taken
            auth.principal_from_header(f"Bearer {token(claims(aud='web-1'))}", web_settings(jwks.url, None))
        parameters.clear_caches()
