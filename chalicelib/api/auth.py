"""Who is calling: a Cognito user-pool ID token, verified here, in every environment.

Why in the app and not only at API Gateway: ``chalice local`` does not verify
Cognito tokens (it only decodes the claims), so the local stack would trust a
forged token. Verifying in the app (signature against the pool's JWKS, expiry,
issuer, audience, token_use) makes local and cloud run the same check, keeps
the error envelope ours, and costs one cached JWKS fetch per process plus an
RS256 verification (tens of microseconds) per request. In the cloud API
Gateway's Cognito authorizer may stand in front as well; the app never relies
on it.
"""
from __future__ import annotations

from typing import Any

from ..config import Settings
from ..domain.errors import Unauthenticated
from ..domain.model import Principal

_jwks_clients: dict[str, Any] = {}


def _jwks_client(url: str) -> Any:
    client = _jwks_clients.get(url)
    if client is None:
        import jwt  # imported on first use: not on the cold path of public routes

        client = jwt.PyJWKClient(url, cache_keys=True, lifespan=3600, timeout=5)
        _jwks_clients[url] = client
    return client


def principal_from_header(authorization: str | None, settings: Settings) -> Principal:
    """Verify the bearer token and return the caller; raise Unauthenticated otherwise."""
    import jwt

    if not authorization:
        raise Unauthenticated("a bearer token is required")
    scheme, _, token = authorization.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthenticated("the Authorization header must be 'Bearer <token>'")
    token = token.strip()
    try:
        key = _jwks_client(settings.jwks_url).get_signing_key_from_jwt(token)
        claims = jwt.decode(
            token, key.key, algorithms=["RS256"], audience=settings.cognito_audience,
            issuer=settings.cognito_issuer, options={"require": ["exp", "iat", "sub", "iss", "aud"]},
            leeway=5,
        )
    except jwt.PyJWKClientConnectionError:
        raise  # the key set is unreachable: our fault, not the caller's (answered 500)
    except jwt.ExpiredSignatureError as exc:
        raise Unauthenticated("the token has expired") from exc
    except (jwt.PyJWTError, ValueError) as exc:
        raise Unauthenticated("the token is not valid") from exc
    if claims.get("token_use") != "id":
        raise Unauthenticated("an ID token is required")
    sub = claims["sub"]
    if not isinstance(sub, str) or not sub:
        raise Unauthenticated("the token has no subject")
    groups = claims.get("cognito:groups") or []
    if isinstance(groups, str):
        groups = groups.split()
    return Principal(user_id=sub, groups=frozenset(g for g in groups if isinstance(g, str)))
