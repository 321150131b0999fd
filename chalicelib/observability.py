"""Powertools Logger, Metrics and Tracer: one of each per process.

The Tracer pulls in the X-Ray SDK (about 0.3 s of imports), so it is built only
when tracing is on (POWERTOOLS_TRACE_DISABLED unset or false, as on Lambda);
locally and in tests the decorators below are no-ops and nothing is imported.
"""
from __future__ import annotations

import os
from typing import Any, Callable, TypeVar

from aws_lambda_powertools import Logger, Metrics

SERVICE = "store-balance"

logger = Logger(service=SERVICE)
metrics = Metrics(namespace="StoreBalance", service=SERVICE)
# Stages share an account's namespace: the alarms (infra/stacks.py) select by service and stage.
metrics.set_default_dimensions(stage=os.environ.get("STAGE", "local"))

F = TypeVar("F", bound=Callable[..., Any])

_tracing = os.environ.get("POWERTOOLS_TRACE_DISABLED", "false").strip().lower() not in ("1", "true")
tracer: Any = None
if _tracing:
    from aws_lambda_powertools import Tracer

    # patch botocore only: the default also imports requests/httpx/... just to patch them
    tracer = Tracer(service=SERVICE, patch_modules=("botocore",))


def capture_method(fn: F) -> F:
    """Trace ``fn`` as a subsegment when tracing is on."""
    return tracer.capture_method(fn) if tracer is not None else fn
