"""Events the use cases put on the bus themselves (not from the table's stream): a customer's behaviour and
what a quote found. The bus is a port (``EventSink``): chalicelib/bus.py on EventBridge, a list in tests."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from ..domain.moments import parse_time
from ..observability import logger, metrics


class EventSink(Protocol):
    """The bus, as the use cases need it: ``put`` returns the indexes of the entries it did not take."""

    def put(self, entries: list[dict[str, Any]]) -> list[int]: ...


@dataclass(frozen=True)
class Bus:
    """The stage's bus as a use case puts on it: through ``sink``, as ``source``, on the bus ``name``."""

    sink: EventSink
    source: str
    name: str

    def entry(self, detail_type: str, detail: dict[str, Any], at: datetime) -> dict[str, Any]:
        """One PutEvents entry; ``at`` is the envelope's time (the export files the event under its day)."""
        return {
            "Source": self.source,
            "DetailType": detail_type,
            "Detail": json.dumps(detail, separators=(",", ":")),
            "EventBusName": self.name,
            "Time": at,
        }

    def put_quietly(self, detail_type: str, detail: dict[str, Any]) -> int:
        """Put one event (at its ``occurred_at``) once, the client retrying throttling itself; if the bus does
        not take it, it is counted (metric ``EventsLost``) and logged, never raised: the answer the caller waits
        for matters more than its analytics trace. Returns how many were lost (0 or 1)."""
        entries = [self.entry(detail_type, detail, parse_time(detail["occurred_at"]))]
        try:
            lost = len(self.sink.put(entries))
        except Exception:  # any failure of the bus: the request itself succeeded
            logger.exception("events not put on the bus", extra={"detail_type": detail_type})
            lost = len(entries)
        if lost:
            metrics.add_metric(name="EventsLost", unit="Count", value=lost)
            logger.warning("events lost", extra={"detail_type": detail_type, "lost": lost})
        return lost
