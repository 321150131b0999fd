"""Behaviour events: what a customer's app reports besides payments (signing in, browsing, searching).

The body's shape is checked here; which types exist and what each carries is domain/behaviour.py's, so a
bad event is refused with its own code and its index in the batch (the model keeps ``type`` and ``props``
open on purpose: an enum here would answer every unknown type with a generic code).
"""

from __future__ import annotations

from typing import Annotated, Optional, Union

from pydantic import Field, StrictInt, StrictStr

from ...domain import behaviour
from .common import Ident, Instant, Out, Strict

PropValue = Union[StrictStr, StrictInt]
_TYPES = ", ".join(sorted(behaviour.TYPES))
_PROPS = "; ".join(
    f"{t}: {', '.join(sorted(req)) or '-'}" + (f" (optional {', '.join(sorted(opt))})" if opt else "")
    for t, (req, opt) in sorted(behaviour.TYPES.items())
)


class BehaviourEventIn(Strict):
    type: Annotated[StrictStr, Field(min_length=1, max_length=32, description=f"one of {_TYPES}")]
    at: Optional[Instant] = Field(
        None,
        description=f"when it happened (default now); at most {behaviour.MAX_AGE.days} days ago, not in the future",
    )
    id: Optional[Ident] = Field(
        None, description="the app's own id of the event: sent again, it is the same event (deduplicated)"
    )
    props: Optional[dict[Annotated[str, Field(min_length=1, max_length=32)], PropValue]] = Field(
        None,
        max_length=8,
        description=f"by type, required (and optional) properties: {_PROPS}; quantity and price are integers",
    )


class BehaviourBatch(Strict):
    events: list[BehaviourEventIn] = Field(min_length=1, max_length=behaviour.MAX_EVENTS_PER_CALL)


class BehaviourAccepted(Out):
    accepted: int = Field(description="how many events were put on the bus (all of the batch)")
