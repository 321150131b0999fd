"""`chalice local`, unchanged but for two socket settings (backlog, Nagle) and unknown methods.

Chalice's dev server keeps socketserver's default backlog of 5 connections;
32 clients arriving at once overflow it and some are reset, which API Gateway
in front of Lambda never does. Same CLI, same server, deeper queue.
Run: python -m dev.chalice_local local --stage local --port 8000
"""
from __future__ import annotations

import sys

from chalice import local
from chalice.cli import main

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

if __name__ == "__main__":
    sys.argv[0] = "chalice"
    sys.exit(main())
