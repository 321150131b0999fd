"""Campaigns: one action for the members of a segment, with a random holdout that gets nothing, so that what
the action changed can be measured against customers who were not touched.

The holdout is a stable random bucket: a customer's bucket is the first 8 bytes of SHA-256 over the campaign's
own salt and the customer's id, modulo 10,000; buckets below ``holdout_percent`` x 100 are the holdout. The same
campaign puts the same customer in the same group however often it runs; another campaign (another salt) draws
again, so nobody is held out of everything. The group is frozen in the customer's membership item when the
campaign first reaches them (intention to treat: a customer who leaves the segment later is still counted).
"""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime
from typing import Any

from .moments import format_time

BUCKETS = 10_000
TREATED, HOLDOUT = "treated", "holdout"
# a run's counts (tally), in the campaign's view and in campaign.completed; inbox_only: of the delivered, those a
# notify or survey reached in the inbox alone (opted out of marketing e-mail, no address, no sender)
COUNTS = ("targeted", "treated", "holdout", "delivered", "failed", "inbox_only")
ACTIONS = ("grant_coupon", "grant_bonus", "notify", "survey")
# scheduled -> running -> completed (delivered to everyone); scheduled -> cancelled
STATUSES = ("scheduled", "running", "completed", "cancelled")
MEASURE_LAG_HOURS = 6  # the measurement runs this long after its window closes: the export has settled by then


def bucket(salt: str, user_id: str) -> int:
    """The customer's bucket in the campaign (0..9,999): the same for the same salt and customer, always."""
    digest = hashlib.sha256(f"{salt}|{user_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") % BUCKETS


def group_of(salt: str, user_id: str, holdout_percent: int) -> str:
    """``holdout`` for the buckets below ``holdout_percent`` of them, else ``treated``."""
    return HOLDOUT if bucket(salt, user_id) < holdout_percent * (BUCKETS // 100) else TREATED


def campaign_id_for(scope: str, key: str) -> str:
    """``cmp_`` + a hash of the request's caller and Idempotency-Key: a retried creation finds its campaign."""
    return f"cmp_{hashlib.sha256(f'{scope}|{key}'.encode()).hexdigest()[:24]}"


def salt_for(campaign_id: str) -> str:
    """The campaign's salt: derived from its id (so a retried creation gets the same one), never shown."""
    return hashlib.sha256(f"holdout|{campaign_id}".encode()).hexdigest()[:32]


@dataclass(frozen=True)
class Delivery:
    """Where the run stands: the members' listing position and how many pages it has done."""

    state: str = "not_started"  # not_started | running | done
    cursor: dict[str, Any] | None = None
    pages: int = 0


@dataclass(frozen=True)
class Campaign:
    campaign_id: str
    name: str
    segment: str
    action: dict[str, Any]
    holdout_percent: int
    measure_days: int
    run_at: str
    status: str
    created_at: str
    created_by: str
    salt: str
    version: int = 0
    updated_at: str | None = None
    started_at: str | None = None
    completed_at: str | None = None
    cancelled_at: str | None = None
    request_hash: str = ""
    delivery: Delivery = field(default_factory=Delivery)
    counts: dict[str, int] = field(default_factory=dict)  # tallied from the memberships when the run completes
    measurement: dict[str, Any] = field(default_factory=dict)  # {state, requested_at, measured_at, result}

    def as_view(self) -> dict[str, Any]:
        return {
            "campaign_id": self.campaign_id,
            "name": self.name,
            "segment": self.segment,
            "action": self.action,
            "holdout_percent": self.holdout_percent,
            "measure_days": self.measure_days,
            "run_at": self.run_at,
            "status": self.status,
            "created_at": self.created_at,
            "created_by": self.created_by,
            "started_at": self.started_at,
            "completed_at": self.completed_at,
            "cancelled_at": self.cancelled_at,
            "delivery": {"state": self.delivery.state, "pages": self.delivery.pages},
            **{k: self.counts.get(k, 0) for k in COUNTS},
            "measurement": self.measurement or {"state": "not_requested"},
        }


def with_status(c: Campaign, status: str, at: datetime, **changes: Any) -> Campaign:
    return replace(c, status=status, version=c.version + 1, updated_at=format_time(at), **changes)


def delivery_doc(d: Delivery) -> dict[str, Any]:
    return asdict(d)


def tally(memberships: list[dict[str, Any]]) -> dict[str, int]:
    """The campaign's counts (COUNTS) from its memberships: every member targeted, by group; of the treated,
    delivered (the action reached them) and failed (it could not: the reason is on the membership); of the
    delivered, inbox_only (a message that reached the inbox but was not e-mailed)."""
    treated = [m for m in memberships if m["group"] == TREATED]
    return {
        "targeted": len(memberships),
        "treated": len(treated),
        "holdout": len(memberships) - len(treated),
        "delivered": sum(1 for m in treated if m.get("outcome") == "delivered"),
        "failed": sum(1 for m in treated if m.get("outcome") == "failed"),
        "inbox_only": sum(1 for m in treated if m.get("channel") == "inbox_only"),
    }
