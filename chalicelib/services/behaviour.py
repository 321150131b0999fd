"""Recording a customer's behaviour events: checked as one batch, then put on the bus (PutEvents), failed
entries retried; never written to the ledger table. The analytics export reads them from the bus."""

from __future__ import annotations

import hashlib
import random
import time
from datetime import datetime
from typing import Any

from ..domain import access, behaviour
from ..domain.behaviour import BehaviourEvent
from ..domain.errors import Forbidden, InvalidRequest, Unavailable
from ..domain.model import Principal, new_id
from ..domain.moments import format_time, parse_time
from . import clock
from .publishing import Bus

PUT_ATTEMPTS = 3
DETAIL_TYPE_PREFIX = "behaviour."


def event_id_of(user_id: str, client_id: str | None) -> str:
    """Stable for the client's own id (a retried call gives its events the same ids), else a new one."""
    if client_id is None:
        return new_id("bhv")
    return "bhv_" + hashlib.sha256(f"{user_id}\x00{client_id}".encode()).hexdigest()[:28]


def accept(principal: Principal, events: list[dict[str, Any]], now: datetime) -> list[BehaviourEvent]:
    """The batch as accepted events, or the refusal of its first bad event (nothing is sent then)."""
    if not 1 <= len(events) <= behaviour.MAX_EVENTS_PER_CALL:
        raise InvalidRequest(
            f"send 1 to {behaviour.MAX_EVENTS_PER_CALL} events in one call", code="invalid_request", field="events"
        )
    out, ids = [], set()
    for index, event in enumerate(events):
        props = behaviour.check_props(index, event["type"], event.get("props") or {})
        at = behaviour.check_time(index, parse_time(event["at"]), now) if event.get("at") else now
        event_id = event_id_of(principal.user_id, event.get("id"))
        if event_id in ids:
            raise behaviour.refused(
                index, "duplicate_event_id", "its id is an earlier event's of this batch", f"events.{index}.id"
            )
        ids.add(event_id)
        out.append(BehaviourEvent(event_id, principal.user_id, event["type"], at, props))
    return out


def record(bus: Bus, principal: Principal, events: list[dict[str, Any]]) -> dict:
    """Check the batch, put it on the bus; 202 ``{accepted}``. An entry the bus refuses is put again (at most
    PUT_ATTEMPTS in all); if some still fail, 503: the caller retries the call, and the events that did go out
    are deduplicated by their ``event_id`` when they carry the client's ``id``."""
    if not access.is_customer(principal):
        raise Forbidden("behaviour events are a customer's own: staff, services and admins send none")
    now = clock.now()
    accepted = accept(principal, events, now)
    received = format_time(now)

    pending = [bus.entry(DETAIL_TYPE_PREFIX + e.type, e.detail(received), e.at) for e in accepted]
    for attempt in range(PUT_ATTEMPTS):
        failed = bus.sink.put(pending)
        pending = [pending[i] for i in failed]
        if not pending:
            return {"accepted": len(accepted)}
        if attempt + 1 < PUT_ATTEMPTS:
            time.sleep(random.uniform(0, 0.05 * 2**attempt))  # nosec B311 - retry jitter, not security
    raise Unavailable(f"{len(pending)} of {len(accepted)} events could not be put on the bus; send the call again")
