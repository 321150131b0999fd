"""The unsubscribe link of marketing e-mail: no login, the signed token is the only key (docs/marketing.md).

``GET /v1/unsubscribe?token=...`` is the link a person clicks; ``POST /v1/unsubscribe?token=...`` with the body
``List-Unsubscribe=One-Click`` is the mail provider's one-click unsubscribe (RFC 8058) at the URL of the
``List-Unsubscribe`` header. Both are ``public`` routes: API Gateway puts no Cognito authorizer in front of them
(infra/api.py), and the app verifies the token's HMAC before it reads or writes anything.
"""

from __future__ import annotations

from urllib.parse import parse_qs

from chalice import Blueprint

from .. import bootstrap
from .routing import Call, route

bp = Blueprint(__name__)

ONE_CLICK_FIELD, ONE_CLICK_VALUE = "List-Unsubscribe", "One-Click"


def _unsubscribe(call: Call, one_click: bool | None, via: str) -> dict:
    from ..services import clock, marketing

    keys = marketing.signing_keys(marketing.unsubscribe_secret(call.settings))
    return marketing.unsubscribe(
        bootstrap.store(), call.settings.currency, keys, call.query.token, clock.now(), one_click=one_click, via=via
    )


@route(
    bp,
    "/v1/unsubscribe",
    "GET",
    name="unsubscribeLink",
    summary="Turn marketing e-mail off with the signed link of a marketing e-mail (no login; again: "
    "already_unsubscribed, nothing changed)",
    access="public",
    query="marketing.UnsubscribeQuery",
    response="marketing.UnsubscribeOut",
    tag="marketing",
)
def unsubscribe_link(call: Call) -> dict:
    return _unsubscribe(call, None, "link")


@route(
    bp,
    "/v1/unsubscribe",
    "POST",
    name="unsubscribeOneClick",
    summary="One-click unsubscribe (RFC 8058): the List-Unsubscribe URL, POSTed with the form body "
    "List-Unsubscribe=One-Click (application/x-www-form-urlencoded or multipart/form-data); no login",
    access="public",
    query="marketing.UnsubscribeQuery",
    response="marketing.UnsubscribeOut",
    tag="marketing",
)
def unsubscribe_one_click(call: Call) -> dict:
    request = bp.current_request
    raw = request.raw_body or b""
    return _unsubscribe(
        call,
        one_click_body(request.headers.get("content-type"), raw if isinstance(raw, bytes) else raw.encode()),
        "one_click",
    )


def one_click_body(content_type: str | None, raw: bytes) -> bool:
    """Whether the body says ``List-Unsubscribe=One-Click``: a urlencoded form (what mail providers send), a
    multipart form (RFC 8058 allows it), or, without a form content type, exactly those bytes."""
    kind = (content_type or "").split(";")[0].strip().lower()
    try:
        if kind == "multipart/form-data":
            return _multipart_says_one_click(content_type or "", raw)
        text = raw.decode("ascii")
    except (UnicodeDecodeError, ValueError):
        return False
    if kind == "application/x-www-form-urlencoded":
        return parse_qs(text.strip(), keep_blank_values=True).get(ONE_CLICK_FIELD) == [ONE_CLICK_VALUE]
    return text.strip() == f"{ONE_CLICK_FIELD}={ONE_CLICK_VALUE}"


def _multipart_says_one_click(content_type: str, raw: bytes) -> bool:
    from email import policy
    from email.parser import BytesParser

    message = BytesParser(policy=policy.HTTP).parsebytes(
        f"Content-Type: {content_type}\r\n\r\n".encode("latin-1") + raw
    )
    if not message.is_multipart():
        return False
    for part in message.iter_parts():
        if part.get_param("name", header="content-disposition") == ONE_CLICK_FIELD:
            payload = part.get_payload(decode=True)
            return isinstance(payload, bytes) and payload.strip() == ONE_CLICK_VALUE.encode()
    return False
