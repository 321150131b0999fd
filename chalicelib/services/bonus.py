"""Expiring bonus: the daily job's use case (expired grants leave through an ``expiry`` entry)."""

from __future__ import annotations

from ..domain.bonus import expire
from ..domain.moments import format_time
from ..domain.ledger import apply_delta
from ..domain.model import Entry, Movement, Snapshot, new_id
from ..domain.money import Lots
from ..observability import capture_method
from . import clock
from .common import LedgerPolicy, Outcome, run_movement
from .ports import MoneyStore


@capture_method
def expire_bonus(store: MoneyStore, policy: LedgerPolicy, user_id: str) -> int:
    """Remove the wallet's grants that have expired, with one ``expiry`` entry; returns the amount expired.

    Exactly once per grant: the removal and the entry are one transaction conditioned on the wallet's
    version, so a second run (or two runs at once) finds nothing left to expire.
    """

    def read() -> Snapshot:
        return store.snapshot(wallet=user_id)

    def plan(snap: Snapshot) -> tuple[Movement | None, Outcome]:
        wallet, now = snap.wallet, format_time(clock.now())
        if wallet is None:
            return None, Outcome(200, {"expired": 0})
        remaining, gone = expire(wallet.grants, now)
        total = sum(g.amount for g in gone)
        if not total:
            return None, Outcome(200, {"expired": 0})
        delta = Lots(bonus=-total)
        entry = Entry(
            user_id=user_id,
            seq=wallet.version + 1,
            entry_id=new_id("ent"),
            type="expiry",
            delta=delta,
            balance_after=apply_delta(wallet.lots, delta),
            created_at=now,
            held_after=wallet.held,
            refs={"grant_ids": ",".join(g.grant_id for g in gone), "reason": "bonus expired"},
        )
        return Movement(wallet=wallet, entry=entry, bonus_grants=remaining), Outcome(200, {"expired": total})

    return int(run_movement(store, policy.max_attempts, None, read, plan).body["expired"])
