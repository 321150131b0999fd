"""Events the use cases put on the bus themselves (not from the table's stream): a customer's behaviour and
what a quote found. The bus is a port (``EventSink``): chalicelib/bus.py on EventBridge, a list in tests."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any, Protocol

from ..observability import logger, metrics


class EventSink(Protocol):
    """The bus, as the use cases need it: ``put`` returns the indexes of the entries it did not take."""

    def put(self, entries: list[dict[str, Any]]) -> list[int]: ...


def entry(source: str, bus_name: str, detail_type: str, detail: dict[str, Any], at: datetime) -> dict[str, Any]:
    """One PutEvents entry; ``at`` is the envelope's time (the export files the event under its day)."""
    return {
        "Source": source,
        "DetailType": detail_type,
        "Detail": json.dumps(detail, separators=(",", ":")),
        "EventBusName": bus_name,
        "Time": at,
    }


def put_quietly(sink: EventSink, entries: list[dict[str, Any]], what: str) -> int:
    """Put ``entries`` once (the client retries throttling itself); what the bus did not take is counted
    (metric ``EventsLost``, dimension-free) and logged, never raised: the answer the caller waits for
    matters more than its analytics trace. Returns how many were lost."""
    try:
        lost = len(sink.put(entries))
    except Exception:  # any failure of the bus: the request itself succeeded
        logger.exception("events not put on the bus", extra={"what": what, "entries": len(entries)})
        lost = len(entries)
    if lost:
        metrics.add_metric(name="EventsLost", unit="Count", value=lost)
        logger.warning("events lost", extra={"what": what, "lost": lost})
    return lost
