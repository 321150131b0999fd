"""What every money-moving use case shares: idempotent replay and the bounded retry loop.

Why not Powertools' idempotency utility: it records the key in a write of its
own before the handler runs and completes it in another after, so a crash
between the ledger commit and that second write leaves the key "in progress"
and a retry after its expiry would move the money again. The ledger promises
the key is written *inside* the movement's transaction, which only the store
can do; this module decides replay, refusal and retry around that.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass, replace
from typing import Any, Callable

from ..domain.errors import present
from ..domain.errors import ConcurrentUpdate, IdempotencyKeyReused, IdempotencyKeyTaken, ReadChanged
from ..domain.ledger import apply_delta
from ..domain.model import Entry, IdempotencyRecord, Movement, Snapshot, Wallet, new_id
from ..domain.money import Lots
from ..domain.points import PointsPolicy
from ..domain.pricing import PricingPolicy
from ..observability import metrics
from . import clock
from .ports import CommitStore, IdempotencyReads, LedgerStore  # noqa: F401 - LedgerStore: as before, from here too


@dataclass(frozen=True)
class LedgerPolicy:
    """The settings the money use cases share, read once from the environment's Settings."""

    currency: str = "CNY"
    max_attempts: int = 40
    max_amount: int = 5_000_000
    spend_order: tuple[str, ...] = ("bonus", "cash")
    checkout_ttl_seconds: int = 1800
    hold_ttl_seconds: int = 1800
    points: PointsPolicy = PointsPolicy()

    @property
    def pricing(self) -> PricingPolicy:
        return PricingPolicy(spend_order=self.spend_order, points=self.points)

    @classmethod
    def from_settings(cls, s: Any) -> "LedgerPolicy":
        return cls(
            currency=s.currency,
            max_attempts=s.max_attempts,
            max_amount=s.max_transaction_amount,
            spend_order=s.spend_order,
            checkout_ttl_seconds=s.checkout_ttl_seconds,
            hold_ttl_seconds=s.hold_ttl_seconds,
            points=s.points,
        )


@dataclass(frozen=True)
class IdempotentRequest:
    """A request under an Idempotency-Key, scoped to the caller."""

    scope: str
    key: str
    request_hash: str

    def record(self, outcome: "Outcome") -> IdempotencyRecord:
        return IdempotencyRecord(
            scope=self.scope,
            key=self.key,
            request_hash=self.request_hash,
            status_code=outcome.status_code,
            body=outcome.body,
            created_at=clock.stamp(),
        )


@dataclass(frozen=True)
class Outcome:
    status_code: int
    body: dict[str, Any]
    replayed: bool = False


def replay(record: IdempotencyRecord | None, request: IdempotentRequest) -> Outcome | None:
    """The first response again if ``record`` is this request's; refuse a reused key."""
    if record is None:
        return None
    if record.request_hash != request.request_hash:
        raise IdempotencyKeyReused()
    metrics.add_metric(name="IdempotentReplays", unit="Count", value=1)
    return Outcome(record.status_code, record.body, replayed=True)


def record_once(
    store: IdempotencyReads, request: IdempotentRequest, outcome: Outcome, write: Callable[[IdempotencyRecord], None]
) -> Outcome:
    """Commit ``write`` (whose transaction records the key with ``outcome``); if the same key committed first,
    answer with that request's recorded outcome instead."""
    try:
        write(request.record(outcome))
    except IdempotencyKeyTaken:
        previous = replay(store.get_idempotency(request.scope, request.key), request)
        if previous is None:  # the winner's record must exist once its transaction committed
            raise
        return previous
    return outcome


def error_body(code: str, message: str, details: dict[str, Any] | None = None) -> dict[str, Any]:
    """The error envelope, for an answer a use case commits together with its effect (and replays)."""
    return {"error": {"code": code, "message": message, "details": details or {}}}


def adjustment_entry(wallet: Wallet, delta: Lots, refs: dict[str, Any]) -> Entry:
    """The wallet's next entry of type ``adjustment`` (an operator's correction, a campaign's bonus): its delta
    and the balance after it, at the wallet's next sequence number."""
    return Entry(
        user_id=wallet.user_id,
        seq=wallet.version + 1,
        entry_id=new_id("ent"),
        type="adjustment",
        delta=delta,
        balance_after=apply_delta(wallet.lots, delta),
        held_after=wallet.held,
        created_at=clock.stamp(),
        refs=refs,
    )


def wallet_or_empty(wallet: Wallet | None, user_id: str, currency: str) -> Wallet:
    return wallet if wallet is not None else Wallet(user_id=user_id, currency=currency)


Plan = Callable[[Snapshot], "tuple[Movement | None, Outcome]"]


def run_movement(
    store: CommitStore,
    max_attempts: int,
    request: IdempotentRequest | None,
    read: Callable[[], Snapshot],
    plan: Plan,
    after_commit: Callable[[], None] | None = None,
    on_conflict: Callable[[ReadChanged], None] | None = None,
) -> Outcome:
    """Read, plan, commit; retry (bounded, jittered) when the wallet moved underneath.

    ``read`` must include the idempotency record when ``request`` is given, so a
    retried request is answered from its record before any rule is checked again.
    """
    fresh: Snapshot | None = None
    for attempt in range(max_attempts):
        snap = fresh if fresh is not None else read()
        fresh = None
        if request is not None:
            previous = replay(snap.idempotency, request)
            if previous is not None:
                return previous
        movement, outcome = plan(snap)
        if movement is None:
            return outcome
        if request is not None:
            movement = replace(movement, idempotency=request.record(outcome))
        try:
            store.commit(movement)
        except IdempotencyKeyTaken:
            keyed = present(request, "the request of a movement refused for its key")
            previous = replay(store.get_idempotency(keyed.scope, keyed.key), keyed)
            if previous is None:  # the winner's record must exist once its transaction committed
                raise
            return previous
        except ReadChanged as changed:
            metrics.add_metric(name="TransactionConflicts", unit="Count", value=1)
            if on_conflict is not None:
                on_conflict(changed)
            if changed.current is not None:  # only the wallet moved: plan again from its new state, no read
                fresh = replace(snap, wallet=changed.current)
            time.sleep(random.uniform(0, min(0.25, 0.002 * (2**attempt))))  # nosec B311 - retry jitter, not security
            continue
        if after_commit is not None:
            after_commit()
        return outcome
    raise ConcurrentUpdate(max_attempts)
