"""Who is calling: a Cognito user-pool ID token, verified here, in every environment.

Why in the app and not only at API Gateway: ``chalice local`` does not verify
Cognito tokens (it only decodes the claims), so the local stack would trust a
forged token. Verifying in the app (signature against the pool's JWKS, expiry,
issuer, audience, token_use) makes local and cloud run the same check, keeps
the error envelope ours, and costs one cached JWKS fetch per process plus an
RS256 verification (tens of microseconds) per request. In the cloud API
Gateway's Cognito authorizer may stand in front as well; the app never relies
on it.

Why not PyJWT: importing it costs about 40 ms of every cold start (it loads
x509, SSH serialization and every algorithm family), more than the rest of the
request. Cognito ID tokens are one shape only (compact JWS, RS256, a ``kid``
from the pool's JWKS), so this module parses that shape and nothing else, and
leaves the cryptography to ``cryptography``'s RSA primitives (PKCS#1 v1.5 with
SHA-256), imported on the first authenticated request. What it refuses is
tested against tokens made by PyJWT (tests/unit/test_auth.py).
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import threading
import time
from typing import Any, Collection

from ..config import Settings
from ..domain.errors import Unauthenticated
from ..domain.model import Principal

LEEWAY_SECONDS = 5
KEYS_LIFESPAN_SECONDS = 3600  # a key set is re-read at most hourly ...
UNKNOWN_KID_REFRESH_SECONDS = 60  # ... or when a token names a key it lacks, at most once a minute
_B64URL = re.compile(r"^[A-Za-z0-9_-]*$")


class KeySetUnavailable(RuntimeError):
    """The pool's JWKS cannot be read: our fault, not the caller's (answered 500)."""


def _b64url(part: str) -> bytes:
    if not _B64URL.match(part):
        raise ValueError("not base64url")
    try:
        return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))
    except (binascii.Error, ValueError) as exc:
        raise ValueError("not base64url") from exc


def _json_object(raw: bytes) -> dict[str, Any]:
    value = json.loads(raw)
    if not isinstance(value, dict):
        raise ValueError("not a JSON object")
    return value


def _rsa_key(jwk: dict[str, Any]) -> Any:
    from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicNumbers

    n = int.from_bytes(_b64url(jwk["n"]), "big")
    e = int.from_bytes(_b64url(jwk["e"]), "big")
    return RSAPublicNumbers(e, n).public_key()


class KeySet:
    """The pool's signing keys by ``kid``, fetched from its JWKS URL and cached."""

    def __init__(self, url: str, timeout: float = 5.0) -> None:
        self.url = url
        self.timeout = timeout
        self._keys: dict[str, Any] = {}
        self._fetched_at = -1e18
        self._lock = threading.Lock()  # chalice local serves requests on threads
        self._http: Any = None

    def _fetch(self) -> None:
        # urllib3, not urllib.request: botocore brings it in for the table anyway (urllib.request would
        # add ~5 ms of imports to a cold start). PoolManager: the Lambda runtime's urllib3 may be 1.26.
        import urllib3

        try:
            if self._http is None:
                self._http = urllib3.PoolManager(num_pools=1, maxsize=1)
            response = self._http.request("GET", self.url, timeout=self.timeout, retries=1)
            if response.status != 200:
                raise ValueError(f"HTTP {response.status}")
            document = json.loads(response.data)
        except (urllib3.exceptions.HTTPError, OSError, ValueError) as exc:
            raise KeySetUnavailable(f"the key set at {self.url} cannot be read: {exc}") from exc
        keys = {}
        for jwk in document.get("keys", []) if isinstance(document, dict) else []:
            if (
                isinstance(jwk, dict)
                and jwk.get("kty") == "RSA"
                and jwk.get("use", "sig") == "sig"
                and jwk.get("alg", "RS256") == "RS256"
                and isinstance(jwk.get("kid"), str)
            ):
                try:
                    keys[jwk["kid"]] = _rsa_key(jwk)
                except (KeyError, ValueError, TypeError):
                    continue  # a malformed entry: the others still serve
        self._keys, self._fetched_at = keys, time.monotonic()

    def key(self, kid: str) -> Any | None:
        with self._lock:
            age = time.monotonic() - self._fetched_at
            if age > KEYS_LIFESPAN_SECONDS or (kid not in self._keys and age > UNKNOWN_KID_REFRESH_SECONDS):
                self._fetch()
            return self._keys.get(kid)


_key_sets: dict[str, KeySet] = {}


def key_set(url: str) -> KeySet:
    ks = _key_sets.get(url)
    if ks is None:
        ks = _key_sets.setdefault(url, KeySet(url))
    return ks


def _number(claims: dict[str, Any], name: str) -> float:
    value = claims.get(name)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise Unauthenticated("the token is not valid")
    return float(value)


def verify_id_token(
    token: str, keys: KeySet, issuer: str, audience: str | Collection[str], now: float | None = None
) -> dict[str, Any]:
    """The claims of a valid Cognito ID token; Unauthenticated for anything else.

    Valid means: three base64url parts; a header with ``alg`` RS256 and a ``kid``
    of the pool; an RSASSA-PKCS1-v1_5 SHA-256 signature of the first two parts by
    that key; ``exp`` not passed and ``iat`` (and ``nbf`` if present) not in the
    future, with 5 s leeway; ``iss`` the pool; ``aud`` one of the app clients; ``token_use`` id;
    a non-empty ``sub``.
    """
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives.asymmetric.padding import PKCS1v15
    from cryptography.hazmat.primitives.hashes import SHA256

    parts = token.split(".")
    if len(parts) != 3:
        raise Unauthenticated("the token is not valid")
    try:
        header = _json_object(_b64url(parts[0]))
        signature = _b64url(parts[2])
        claims = _json_object(_b64url(parts[1]))
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        raise Unauthenticated("the token is not valid") from exc
    kid = header.get("kid")
    if header.get("alg") != "RS256" or not isinstance(kid, str) or header.get("crit") is not None:
        raise Unauthenticated("the token is not valid")
    key = keys.key(kid)
    if key is None:
        raise Unauthenticated("the token is not valid")
    try:
        key.verify(signature, f"{parts[0]}.{parts[1]}".encode("ascii"), PKCS1v15(), SHA256())
    except (InvalidSignature, ValueError) as exc:
        raise Unauthenticated("the token is not valid") from exc
    now = time.time() if now is None else now
    if _number(claims, "exp") <= now - LEEWAY_SECONDS:
        raise Unauthenticated("the token has expired")
    if _number(claims, "iat") > now + LEEWAY_SECONDS:
        raise Unauthenticated("the token is not valid")
    if "nbf" in claims and _number(claims, "nbf") > now + LEEWAY_SECONDS:
        raise Unauthenticated("the token is not valid")
    if claims.get("iss") != issuer:
        raise Unauthenticated("the token is not valid")
    accepted = {audience} if isinstance(audience, str) else set(audience)
    accepted.discard("")
    aud = claims.get("aud")
    if not (aud in accepted if isinstance(aud, str) else isinstance(aud, list) and bool(accepted & set(aud))):
        raise Unauthenticated("the token is not valid")
    if claims.get("token_use") != "id":
        raise Unauthenticated("an ID token is required")
    sub = claims.get("sub")
    if not isinstance(sub, str) or not sub:
        raise Unauthenticated("the token has no subject")
    return claims


def audiences(token: str, settings: Settings) -> tuple[str, ...]:
    """The app clients whose tokens the API takes: its own, and the web app's sign-in client(s), named in an SSM
    parameter (the functions cannot be given that id directly: the web client's callback is the distribution's
    domain, which depends on the API). The parameter is read only for a token that names another client than
    the API's (the unverified claim decides only whether to read it; verify_id_token checks the token)."""
    if not settings.cognito_web_client_parameter:
        return (settings.cognito_audience,)
    try:
        named = _json_object(_b64url(token.split(".")[1])).get("aud")
    except (ValueError, IndexError, UnicodeDecodeError, RecursionError):
        named = None
    if named == settings.cognito_audience:
        return (settings.cognito_audience,)
    return (settings.cognito_audience, *web_clients(settings.cognito_web_client_parameter))


def web_clients(parameter: str) -> tuple[str, ...]:
    """The web app's client ids from the SSM parameter (comma-separated), cached for 5 minutes (Powertools)."""
    from aws_lambda_powertools.utilities import parameters

    value = parameters.get_parameter(parameter, max_age=300)
    return tuple(c.strip() for c in str(value).split(",") if c.strip())


def principal_from_header(authorization: str | None, settings: Settings) -> Principal:
    """Verify the bearer token and return the caller; raise Unauthenticated otherwise."""
    if not authorization:
        raise Unauthenticated("a bearer token is required")
    scheme, _, token = authorization.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthenticated("the Authorization header must be 'Bearer <token>'")
    token = token.strip()
    claims = verify_id_token(token, key_set(settings.jwks_url), settings.cognito_issuer, audiences(token, settings))
    groups = claims.get("cognito:groups") or []
    if isinstance(groups, str):
        groups = groups.split()
    return Principal(user_id=claims["sub"], groups=frozenset(g for g in groups if isinstance(g, str)))
