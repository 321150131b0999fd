"""Behaviour events from the customer's apps: checked as one batch, put on the bus for the export."""

from __future__ import annotations

from chalice import Blueprint

from .. import bootstrap
from ..services import behaviour
from .routing import Call, route

bp = Blueprint(__name__)


@route(
    bp,
    "/v1/events",
    "POST",
    name="recordBehaviourEvents",
    summary="Report what the caller did in the shop (1 to 25 events); accepted or refused as one batch",
    access="user",
    body="behaviour.BehaviourBatch",
    response="behaviour.BehaviourAccepted",
    status=202,
    tag="events",
)
def record(call: Call) -> dict:
    events = [e.model_dump(exclude_none=True) for e in call.body.events]
    return behaviour.record(bootstrap.bus(), call.caller, events)
