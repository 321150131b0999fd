"""API Gateway's own answers (its gateway responses), as data: one table for the cloud and the local server.

In the cloud, ``infra/api.py`` turns each row into a gateway response template; locally,
``dev/chalice_local.py`` answers an unknown route and an oversized body from the same rows. Every
message is fixed text: nothing of the request (no ``$context.error.messageString``, no ``$input``, no
header) is echoed, so a caller's token never comes back in an answer. The only variable is the
request id, which API Gateway substitutes for ``$context.requestId``.

Pure data and the standard library only: the local server and the CDK app import it, neither needs
the other's libraries.
"""

from __future__ import annotations

from typing import Any, NamedTuple

REQUEST_ID = "$context.requestId"  # API Gateway substitutes the request's id here

# a body over Settings.max_body_bytes: the app's refusal (app.py), the local server's (dev/chalice_local.py,
# before reading it) and API Gateway's own (REQUEST_TOO_LARGE, over its 10 MB)
PAYLOAD_TOO_LARGE: tuple[int, str] = (413, "payload_too_large")


class GatewayResponse(NamedTuple):
    status: int | None  # None: keep the status API Gateway chose (the DEFAULT_* rows)
    code: str
    message: str


GATEWAY_RESPONSES: dict[str, GatewayResponse] = {
    "UNAUTHORIZED": GatewayResponse(401, "unauthenticated", "a valid bearer ID token is required"),
    "EXPIRED_TOKEN": GatewayResponse(401, "unauthenticated", "the token has expired"),
    "INVALID_SIGNATURE": GatewayResponse(401, "unauthenticated", "the token is not valid"),
    "ACCESS_DENIED": GatewayResponse(403, "forbidden", "access to this resource is denied"),
    "INVALID_API_KEY": GatewayResponse(
        403, "forbidden", "requests must come through the service's CloudFront distribution"
    ),
    # API Gateway's answer to a path or method no route has (with or without a token): a plain 404
    "MISSING_AUTHENTICATION_TOKEN": GatewayResponse(404, "not_found", "no such route"),
    "THROTTLED": GatewayResponse(429, "rate_limited", "too many requests; retry later"),
    "QUOTA_EXCEEDED": GatewayResponse(429, "rate_limited", "request quota exceeded; retry later"),
    "REQUEST_TOO_LARGE": GatewayResponse(*PAYLOAD_TOO_LARGE, "the request is larger than the API accepts"),
    "DEFAULT_4XX": GatewayResponse(None, "invalid_request", "the request was refused"),
    "DEFAULT_5XX": GatewayResponse(None, "unavailable", "the service is unavailable; retry later"),
}

NO_ROUTE = "MISSING_AUTHENTICATION_TOKEN"  # the row an unknown route is answered with


def body_too_large_message(limit: int) -> str:
    return f"the body is larger than {limit} bytes"


def envelope(kind: str, request_id: str = REQUEST_ID) -> dict[str, Any]:
    """The error envelope of gateway response ``kind``, the same shape as the app's (``error_body``)."""
    row = GATEWAY_RESPONSES[kind]
    return {"error": {"code": row.code, "message": row.message, "details": {"request_id": request_id}}}
