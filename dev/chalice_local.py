"""`chalice local`, unchanged but for two socket settings (backlog, Nagle), unknown methods, unknown
routes and oversized bodies.

Chalice's dev server keeps socketserver's default backlog of 5 connections;
32 clients arriving at once overflow it and some are reset, which API Gateway
in front of Lambda never does. Same CLI, same server, deeper queue.

An unknown route is answered as API Gateway's gateway response answers it in the cloud (404 in the
error envelope, chalicelib/api/gateway.py), not with chalice's 403 that echoes the Authorization
header; a body whose Content-Length is over Settings.max_body_bytes is refused 413 without being read.

Run: python -m dev.chalice_local local --stage local --port 8000
"""

from __future__ import annotations

import json
import sys
import uuid

from chalice import local
from chalice.cli import main

from chalicelib.api import gateway

local.ThreadedHTTPServer.request_queue_size = 128
# Responses are written in pieces; with Nagle on, a kept-alive client waits ~40 ms for a delayed ACK
# on every response (measured: GET /v1/openapi.json 44 ms kept-alive vs 2.4 ms on a new connection).
local.ChaliceRequestHandler.disable_nagle_algorithm = True


def _any_method(self: local.ChaliceRequestHandler, name: str):
    """http.server answers methods it has no do_X for (TRACE, QUERY, ...) with its own HTML 501; hand
    them to the app, which answers 405 in the API's error envelope like any method a route does not take."""
    if name.startswith("do_"):
        return self._generic_handle
    raise AttributeError(name)


local.ChaliceRequestHandler.__getattr__ = _any_method


def _gateway_answer(status: int, body: dict, **headers: str) -> local.LocalGatewayException:
    answer = local.LocalGatewayException(
        {"Content-Type": "application/json", "X-Request-Id": body["error"]["details"]["request_id"], **headers},
        json.dumps(body).encode(),
    )
    answer.CODE = status
    return answer


_generate_lambda_event = local.LocalGateway._generate_lambda_event


def _route_or_404(self: local.LocalGateway, method: str, path: str, headers: dict, body: bytes | None) -> dict:
    """No route matches: the cloud's MISSING_AUTHENTICATION_TOKEN gateway response, token or not, echoing nothing."""
    try:
        return _generate_lambda_event(self, method, path, headers, body)
    except ValueError:  # chalice's RouteMatcher: "No matching route found"
        raise _gateway_answer(404, gateway.envelope(gateway.NO_ROUTE, str(uuid.uuid4()))) from None


local.LocalGateway._generate_lambda_event = _route_or_404

_generic_handle = local.ChaliceRequestHandler._generic_handle


def _refuse_large_bodies(self: local.ChaliceRequestHandler) -> None:
    """A Content-Length over the limit is answered 413 before the body is read, and the connection closed
    (the unread body is never taken off it); any other request goes on as chalice handles it."""
    from chalicelib.config import get_settings
    from chalicelib.services.common import error_body  # the app's envelope, as app.py answers the same refusal

    limit = get_settings().max_body_bytes
    length = (self.headers.get("content-length") or "0").strip()
    if length.isdigit() and int(length) > limit:
        status, code = gateway.PAYLOAD_TOO_LARGE
        request_id = str(uuid.uuid4())
        body = error_body(code, gateway.body_too_large_message(limit), {"limit": limit, "request_id": request_id})
        self.close_connection = True
        self._send_error_response(_gateway_answer(status, body, Connection="close"))
        return
    _generic_handle(self)


# do_GET and the others are the original function, bound when the class was made: rebind them all
local.ChaliceRequestHandler._generic_handle = _refuse_large_bodies
for _name in ("do_GET", "do_PUT", "do_POST", "do_HEAD", "do_DELETE", "do_PATCH", "do_OPTIONS"):
    setattr(local.ChaliceRequestHandler, _name, _refuse_large_bodies)

if __name__ == "__main__":
    sys.argv[0] = "chalice"
    sys.exit(main())
