"""Behaviour events: a batch is checked whole (types, properties, times, size), refused by its first bad event,
and put on the bus with the entries the bus refused put again."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest

from chalicelib.domain import behaviour
from chalicelib.domain.errors import InvalidRequest, Unavailable
from chalicelib.domain.model import Principal
from chalicelib.services import behaviour as service
from chalicelib.services import clock
from chalicelib.services.publishing import Bus

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=timezone.utc)
ALICE = Principal("alice")


class Sink:
    """The bus: refuses the entries at the indexes ``refusals`` names, one list per call."""

    def __init__(self, *refusals: list[int]) -> None:
        self.refusals, self.calls = list(refusals), []

    def put(self, entries):
        self.calls.append([json.loads(e["Detail"])["event_id"] for e in entries])
        return self.refusals.pop(0) if self.refusals else []


@pytest.fixture(autouse=True)
def frozen_clock():
    with clock.frozen(NOW):
        yield


def view(sku="sku-1", **extra):
    return {"type": "view_product", "props": {"sku": sku, "category": "tea", "merchant_id": "m1", **extra}}


def refusal(events) -> InvalidRequest:
    with pytest.raises(InvalidRequest) as caught:
        service.accept(ALICE, events, NOW)
    return caught.value


def test_a_batch_is_put_on_the_bus_with_its_details():
    sink = Sink()
    at = (NOW - timedelta(hours=1)).isoformat().replace("+00:00", "Z")
    answer = service.record(Bus(sink, "store-balance", "bus"), ALICE, [{"type": "login"}, {**view(), "at": at}])
    assert answer == {"accepted": 2}
    [ids] = sink.calls
    assert len(set(ids)) == 2
    events = service.accept(ALICE, [{"type": "login"}, {**view(), "at": at}], NOW)
    assert [e.type for e in events] == ["login", "view_product"]
    assert events[0].at == NOW and events[1].at == NOW - timedelta(hours=1)
    detail = events[1].detail("r")
    assert detail["user_id"] == "alice" and detail["props"] == {"sku": "sku-1", "category": "tea", "merchant_id": "m1"}
    assert detail["occurred_at"] == "2026-12-01T11:00:00.000Z"


def test_the_entries_the_bus_refused_are_put_again_and_only_those():
    sink = Sink([1], [])
    assert service.record(Bus(sink, "s", "b"), ALICE, [view("a"), view("b"), view("c")]) == {"accepted": 3}
    first, second = sink.calls
    assert len(first) == 3 and second == [first[1]]


def test_when_the_bus_keeps_refusing_the_call_is_unavailable_after_its_attempts():
    sink = Sink([0], [0], [0], [0])
    with pytest.raises(Unavailable):
        service.record(Bus(sink, "s", "b"), ALICE, [view()])
    assert len(sink.calls) == service.PUT_ATTEMPTS


def test_a_client_id_gives_the_same_event_id_again_and_differs_by_customer():
    once = service.accept(ALICE, [{"type": "login", "id": "c-1"}], NOW)[0].event_id
    again = service.accept(ALICE, [{"type": "login", "id": "c-1"}], NOW)[0].event_id
    bob = service.accept(Principal("bob"), [{"type": "login", "id": "c-1"}], NOW)[0].event_id
    assert once == again != bob
    assert refusal([{"type": "login", "id": "c-1"}, {"type": "login", "id": "c-1"}]).code == "duplicate_event_id"


@pytest.mark.parametrize(
    ("events", "code", "index", "field"),
    [
        ([{"type": "login"}, {"type": "dance"}], "unknown_event_type", 1, "events.1.type"),
        ([{"type": "search", "props": {}}], "missing_event_property", 0, "events.0.props.query"),
        ([{"type": "login", "props": {"sku": "x"}}], "unknown_event_property", 0, "events.0.props.sku"),
        ([view(quantity=0)], "unknown_event_property", 0, "events.0.props.quantity"),
        ([view(price=0)], "invalid_event_property", 0, "events.0.props.price"),
        ([view(price=True)], "invalid_event_property", 0, "events.0.props.price"),
        ([view(price=1.5)], "invalid_event_property", 0, "events.0.props.price"),
        ([view(sku="")], "invalid_event_property", 0, "events.0.props.sku"),
        ([view(sku="x" * 257)], "invalid_event_property", 0, "events.0.props.sku"),
        ([view(sku=7)], "invalid_event_property", 0, "events.0.props.sku"),
        ([{"type": "login", "at": "2026-12-01T12:06:00Z"}], "event_in_future", 0, "events.0.at"),
        ([{"type": "login"}, {"type": "login", "at": "2026-11-24T11:59:59Z"}], "event_too_old", 1, "events.1.at"),
    ],
)
def test_the_first_bad_event_refuses_the_batch_with_its_index(events, code, index, field):
    error = refusal(events)
    assert (error.code, error.details["index"], error.details["field"]) == (code, index, field)
    assert f"events[{index}]" in error.message


def test_the_edges_of_the_time_window_and_of_the_batch_size():
    assert service.accept(ALICE, [{"type": "login", "at": "2026-12-01T12:05:00Z"}], NOW)  # the allowed skew
    assert service.accept(ALICE, [{"type": "login", "at": "2026-11-24T12:00:00Z"}], NOW)  # exactly 7 days
    assert service.accept(ALICE, [{"type": "login"}] * behaviour.MAX_EVENTS_PER_CALL, NOW)
    assert refusal([{"type": "login"}] * (behaviour.MAX_EVENTS_PER_CALL + 1)).details["field"] == "events"
    assert refusal([]).details["field"] == "events"
    assert service.accept(
        ALICE,
        [
            view(
                sku="x" * 256,
                price=1,
            )
        ],
        NOW,
    )  # longest text, smallest count
    cart = {"type": "add_to_cart", "props": {"sku": "s", "merchant_id": "m", "quantity": 2, "price": 990}}
    assert service.accept(ALICE, [cart], NOW)[0].props["quantity"] == 2


def test_nothing_is_sent_when_the_batch_is_refused():
    sink = Sink()
    with pytest.raises(InvalidRequest):
        service.record(Bus(sink, "s", "b"), ALICE, [{"type": "login"}, {"type": "dance"}])
    assert sink.calls == []


def test_the_bus_sink_puts_ten_at_a_time_and_names_the_entries_refused():
    from chalicelib.bus import BusSink

    class Client:
        def __init__(self):
            self.sizes = []

        def put_events(self, Entries):  # boto3's argument name
            self.sizes.append(len(Entries))
            refused = len(self.sizes) == 2  # the second slice: its entry 3 is refused
            return {
                "FailedEntryCount": 1 if refused else 0,
                "Entries": [
                    {"ErrorCode": "ThrottlingException"} if refused and i == 3 else {"EventId": "e"}
                    for i in range(len(Entries))
                ],
            }

    client = Client()
    assert BusSink(client).put([{"n": n} for n in range(25)]) == [13]
    assert client.sizes == [10, 10, 5]
