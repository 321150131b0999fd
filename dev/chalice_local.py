"""`chalice local`, unchanged but for a listen backlog that fits a burst of clients.

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

if __name__ == "__main__":
    sys.argv[0] = "chalice"
    sys.exit(main())
