"""Powertools Logger and Metrics, and X-Ray subsegments: one of each per process.

Tracing. Deployed functions run with X-Ray active: Lambda itself records the
invocation's segment and hands the function its trace header
(``_X_AMZN_TRACE_ID``). What the code adds are subsegments under it: one per
traced service or store call (``capture_method``) and one per DynamoDB call,
with operation, tables, request id, retries, status and error, nested as they
happened. They are sent as segment documents over UDP to the X-Ray daemon at
``AWS_XRAY_DAEMON_ADDRESS``, the protocol the X-Ray SDK itself uses.

Why not Powertools' Tracer (the X-Ray SDK): importing it and patching botocore
cost about 70 ms of every cold start (asyncio, wrapt, botocore's client
machinery at import time), 1.8x the import of boto3 alone, for the two
subsegment kinds above. This module keeps those subsegments for ~1 ms of
imports. What it does not do (the SDK would): sampling rules of its own
(Lambda decides, ``Sampled=1`` in the header), annotations and metadata, other
libraries' calls, streaming of large traces. Tracing is on unless
``POWERTOOLS_TRACE_DISABLED`` is true (the local stack and the tests), and
only sends anything inside a sampled invocation.
"""

from __future__ import annotations

import contextvars
import functools
import json
import os
import socket
import time
from contextlib import contextmanager
from typing import Any, Callable, Iterator, TypeVar

from aws_lambda_powertools import Logger, Metrics

SERVICE = "store-balance"

logger = Logger(service=SERVICE)
metrics = Metrics(namespace="StoreBalance", service=SERVICE)
# Stages share an account's namespace: the alarms (infra/stacks.py) select by service and stage.
metrics.set_default_dimensions(stage=os.environ.get("STAGE", "local"))

F = TypeVar("F", bound=Callable[..., Any])

_DAEMON_HEADER = b'{"format": "json", "version": 1}\n'


def _new_id() -> str:
    """A segment id: 16 hex digits (os.urandom, not secrets: one import less on a cold start)."""
    return os.urandom(8).hex()


def daemon_address(value: str | None) -> tuple[str, int]:
    """``host:port`` or ``udp:host:port tcp:host:port`` (as Lambda sets it); segments go over UDP."""
    value = (value or "127.0.0.1:2000").strip()
    for part in value.split():
        if part.startswith("udp:"):
            value = part[4:]
            break
        if not part.startswith("tcp:"):
            value = part
            break
    host, _, port = value.rpartition(":")
    return host or "127.0.0.1", int(port)


def trace_header() -> tuple[str, str] | None:
    """(trace id, parent id) of the current invocation when it is sampled, else None."""
    header = os.environ.get("_X_AMZN_TRACE_ID")
    if not header:
        return None
    fields = dict(p.split("=", 1) for p in header.split(";") if "=" in p)
    if fields.get("Sampled") != "1" or not fields.get("Root") or not fields.get("Parent"):
        return None
    return fields["Root"], fields["Parent"]


class XRay:
    """Subsegments of the current invocation, sent to the X-Ray daemon as each one ends."""

    def __init__(self, address: tuple[str, int], enabled: bool = True) -> None:
        self.address = address
        self.enabled = enabled
        self._open: contextvars.ContextVar[str | None] = contextvars.ContextVar("xray_subsegment", default=None)
        self._sock: socket.socket | None = None

    def _send(self, document: dict[str, Any]) -> None:
        try:
            if self._sock is None:
                self._sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            self._sock.sendto(_DAEMON_HEADER + json.dumps(document, separators=(",", ":")).encode(), self.address)
        except OSError:
            logger.debug("trace segment not sent", exc_info=True)  # tracing never fails a request

    def _document(
        self, trace: tuple[str, str], sub_id: str, parent: str | None, name: str, start: float, **fields: Any
    ) -> dict[str, Any]:
        return {
            "type": "subsegment",
            "trace_id": trace[0],
            "parent_id": parent or trace[1],
            "id": sub_id,
            "name": name,
            "start_time": start,
            "end_time": time.time(),
            **fields,
        }

    @contextmanager
    def subsegment(self, name: str) -> Iterator[None]:
        """A subsegment around the block, child of the one open around it (or of the invocation)."""
        trace = trace_header() if self.enabled else None
        if trace is None:
            yield
            return
        sub_id, parent, start = _new_id(), self._open.get(), time.time()
        token = self._open.set(sub_id)
        fields: dict[str, Any] = {}
        try:
            yield
        except Exception as exc:
            fields = {
                "fault": True,
                "cause": {"exceptions": [{"id": _new_id(), "type": type(exc).__name__, "message": str(exc)[:500]}]},
            }
            raise
        finally:
            self._open.reset(token)
            self._send(self._document(trace, sub_id, parent, name, start, **fields))

    def capture_method(self, fn: F) -> F:
        name = f"## {fn.__qualname__}"

        @functools.wraps(fn)
        def traced(*args: Any, **kwargs: Any) -> Any:
            with self.subsegment(name):
                return fn(*args, **kwargs)

        return traced  # type: ignore[return-value]

    # ---- AWS calls: botocore's own events on one client ------------------------------------

    def instrument(self, client: Any) -> None:
        """Record every call of this botocore client as an ``aws`` subsegment."""
        if not self.enabled:
            return
        service = client.meta.service_model.service_id.hyphenize()
        client.meta.events.register(f"before-parameter-build.{service}", self._before_parameters)
        client.meta.events.register(f"before-call.{service}", self._before_call)
        client.meta.events.register(f"after-call.{service}", self._after_call)
        client.meta.events.register(f"after-call-error.{service}", self._after_call_error)

    @staticmethod
    def _before_parameters(params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        context["xray_tables"] = _table_names(params)

    def _before_call(self, model: Any, context: dict[str, Any], **_: Any) -> None:
        trace = trace_header()
        if trace is not None:
            context["xray"] = (trace, _new_id(), self._open.get(), time.time(), model)

    def _aws_subsegment(self, context: dict[str, Any], **fields: Any) -> None:
        started = context.pop("xray", None)
        if started is None:
            return
        trace, sub_id, parent, start, model = started
        aws = {"operation": model.name, "region": context.get("client_region"), **fields.pop("aws", {})}
        tables = context.get("xray_tables") or []
        if len(tables) == 1:
            aws["table_name"] = tables[0]
        elif tables:
            aws["table_names"] = tables
        name = model.service_model.service_id.replace(" ", "")
        self._send(self._document(trace, sub_id, parent, name, start, namespace="aws", aws=aws, **fields))

    def _after_call(self, http_response: Any, parsed: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        status = getattr(http_response, "status_code", None)
        meta = parsed.get("ResponseMetadata", {}) if isinstance(parsed, dict) else {}
        fields: dict[str, Any] = {
            "http": {"response": {"status": status}},
            "aws": {"request_id": meta.get("RequestId"), "retries": meta.get("RetryAttempts", 0)},
        }
        if status is not None and status >= 400:
            if status == 429:
                fields.update(throttle=True, error=True)
            else:
                fields["error" if status < 500 else "fault"] = True
            error = parsed.get("Error", {}) if isinstance(parsed, dict) else {}
            fields["cause"] = {
                "exceptions": [
                    {
                        "id": _new_id(),
                        "type": error.get("Code"),
                        "message": str(error.get("Message", ""))[:500],
                        "remote": True,
                    }
                ]
            }
        self._aws_subsegment(context, **fields)

    def _after_call_error(self, exception: Exception, context: dict[str, Any], **_: Any) -> None:
        """The call never got an answer (connection refused, timeout): a fault of ours."""
        self._aws_subsegment(
            context,
            fault=True,
            cause={
                "exceptions": [{"id": _new_id(), "type": type(exception).__name__, "message": str(exception)[:500]}]
            },
        )


def _table_names(params: dict[str, Any]) -> list[str]:
    if "TableName" in params:
        return [params["TableName"]]
    names: list[str] = []
    for item in params.get("TransactItems", []):
        for action in item.values():
            name = action.get("TableName") if isinstance(action, dict) else None
            if name and name not in names:
                names.append(name)
    for name in params.get("RequestItems", {}):
        if name not in names:
            names.append(name)
    return names


tracer = XRay(
    daemon_address(os.environ.get("AWS_XRAY_DAEMON_ADDRESS")),
    enabled=os.environ.get("POWERTOOLS_TRACE_DISABLED", "false").strip().lower() not in ("1", "true"),
)


def capture_method(fn: F) -> F:
    """Trace ``fn`` as a subsegment when tracing is on (decided per call: no-op outside a sampled invocation)."""
    return tracer.capture_method(fn) if tracer.enabled else fn
