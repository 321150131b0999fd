"""Behaviour events: what a customer does in the shop besides paying (signing in, browsing, searching), sent
by the shop's apps and put on the bus for the analytics export, never written to the ledger.

The rules of a batch, pure: which types exist and which properties each carries, how many events one call
may send, and how old or new an event's time may be. A batch is accepted or refused whole; a refusal names
the first bad event by its index.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from .errors import InvalidRequest
from .moments import format_time

MAX_EVENTS_PER_CALL = 25
MAX_AGE = timedelta(days=7)  # an event older than this is refused (the export's partitions are by event date)
CLOCK_SKEW = timedelta(minutes=5)  # a device's clock ahead of ours by this much is not "in the future"
MAX_TEXT = 256

# type -> (required properties, optional properties); every property is a short text but `quantity` and `price`
TYPES: dict[str, tuple[frozenset[str], frozenset[str]]] = {
    "login": (frozenset(), frozenset({"channel"})),
    "view_product": (frozenset({"sku", "category", "merchant_id"}), frozenset({"price"})),
    "search": (frozenset({"query"}), frozenset({"category", "merchant_id"})),
    "add_to_cart": (frozenset({"sku", "merchant_id"}), frozenset({"category", "quantity", "price"})),
    "view_wallet": (frozenset(), frozenset()),
    "view_topup": (frozenset(), frozenset({"option_id"})),
}
COUNTS = frozenset({"quantity", "price"})  # positive integers (price in fen)


@dataclass(frozen=True)
class BehaviourEvent:
    """One accepted event: ``event_id`` is stable for a client's own id (a retried call dedupes in the export)."""

    event_id: str
    user_id: str
    type: str
    at: datetime
    props: dict[str, Any]

    def detail(self, received_at: str) -> dict[str, Any]:
        return {
            "event_id": self.event_id,
            "user_id": self.user_id,
            "type": self.type,
            "occurred_at": format_time(self.at),
            "received_at": received_at,
            "props": dict(self.props),
        }


def refused(index: int, code: str, message: str, field: str | None = None) -> InvalidRequest:
    return InvalidRequest(f"events[{index}]: {message}", code=code, index=index, field=field or f"events.{index}")


def check_props(index: int, type_: str, props: dict[str, Any]) -> dict[str, Any]:
    """The properties of an event of ``type_``: the required ones present, no unknown one, each well formed."""
    if type_ not in TYPES:
        raise refused(
            index,
            "unknown_event_type",
            f"unknown type {type_!r}; known: {', '.join(sorted(TYPES))}",
            f"events.{index}.type",
        )
    required, optional = TYPES[type_]
    missing = sorted(required - props.keys())
    if missing:
        raise refused(
            index,
            "missing_event_property",
            f"a {type_} event needs {', '.join(missing)}",
            f"events.{index}.props.{missing[0]}",
        )
    unknown = sorted(props.keys() - required - optional)
    if unknown:
        raise refused(
            index,
            "unknown_event_property",
            f"a {type_} event has no property {unknown[0]!r}",
            f"events.{index}.props.{unknown[0]}",
        )
    for name, value in props.items():
        where = f"events.{index}.props.{name}"
        if name in COUNTS:
            if type(value) is not int or not 0 < value <= 2**53 - 1:
                raise refused(index, "invalid_event_property", f"{name} must be a positive integer", where)
        elif not isinstance(value, str) or not 0 < len(value) <= MAX_TEXT:
            raise refused(index, "invalid_event_property", f"{name} must be a text of 1 to {MAX_TEXT}", where)
    return dict(props)


def check_time(index: int, at: datetime, now: datetime) -> datetime:
    """An event's time: not in the future (beyond the allowed skew) and not older than MAX_AGE."""
    if at > now + CLOCK_SKEW:
        raise refused(index, "event_in_future", "its time is in the future", f"events.{index}.at")
    if at < now - MAX_AGE:
        raise refused(index, "event_too_old", f"its time is more than {MAX_AGE.days} days ago", f"events.{index}.at")
    return at
