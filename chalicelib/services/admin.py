"""Operator use cases: adjustments, merchants, reconciliation."""

from __future__ import annotations

from collections import Counter
from typing import Any, Callable, Iterable

from ..domain.bonus import BonusGrant, add, draw
from ..domain.ledger import adjustment_delta
from ..domain.model import Merchant, Movement, Principal, Snapshot
from ..domain.money import Lots
from ..domain.origins import normalise_origins
from ..observability import capture_method
from .common import IdempotentRequest, Outcome, adjustment_entry, run_movement, wallet_or_empty
from .ports import Merchants, MoneyStore
from . import clock


@capture_method
def adjust(
    store: MoneyStore,
    *,
    currency: str,
    max_attempts: int,
    principal: Principal,
    request: IdempotentRequest,
    user_id: str,
    amount: int,
    lot: str,
    reason: str,
    after_commit: Callable[[], None] | None = None,
) -> Outcome:
    """Credit (compensation) or debit (correction) one lot of a wallet. A debit never overdraws."""

    def read() -> Snapshot:
        return store.snapshot(wallet=user_id, idempotency=(request.scope, request.key))

    def plan(snap: Snapshot) -> tuple[Movement, Outcome]:
        wallet = wallet_or_empty(snap.wallet, user_id, currency)
        delta = adjustment_delta(wallet.lots, lot, amount)
        entry = adjustment_entry(wallet, delta, {"reason": reason, "actor": principal.user_id})
        now = entry.created_at
        body = {
            "adjustment_id": entry.entry_id,
            "user_id": user_id,
            "amount": amount,
            "lot": lot,
            "reason": reason,
            "balance": entry.balance_after.as_balance(),
            "created_at": now,
        }
        grants = None
        if lot == "bonus":  # compensation never expires; a correction takes the soonest-expiring bonus first
            grants = (
                add(wallet.grants, BonusGrant(entry.entry_id, amount, None, "adjustment"))
                if amount > 0
                else draw(wallet.grants, -amount, None)[0]
            )
        return Movement(wallet=wallet, entry=entry, bonus_grants=grants), Outcome(201, body)

    return run_movement(store, max_attempts, request, read, plan, after_commit)


@capture_method
def put_merchant(
    store: Merchants, merchant_id: str, name: str, status: str, return_origins: Iterable[str] = ()
) -> dict[str, Any]:
    """Create or replace a merchant. Its return origins are normalised (domain/origins.py) and replace the ones
    it had: a PUT without them leaves it none."""
    origins = normalise_origins(return_origins)
    merchant = Merchant(merchant_id=merchant_id, name=name, status=status, return_origins=origins)
    store.put_merchant(merchant, clock.stamp())
    return {"merchant_id": merchant_id, "name": name, "status": status, "return_origins": list(origins)}


@capture_method
def reconcile(ledger: Iterable[tuple[Any, ...]]) -> dict[str, Any]:
    """Recompute every wallet from its entries and report every difference.

    Checks, per wallet: the lots equal the sum of the entries' deltas and the
    money on hold the sum of their hold deltas; the entries form an unbroken
    sequence 1..version; each entry's balance_after and held_after are the
    running sums. Totals: money held in all wallets (available and on hold;
    ``on_hold`` alone) and, per entry type, what was credited and debited
    (conservation: held == credited - debited). Points accounts too: their
    entries form an unbroken sequence whose deltas sum to the account's total.
    """
    checked = 0
    mismatches: list[dict[str, Any]] = []
    credited: Counter[str] = Counter()
    debited: Counter[str] = Counter()
    held = Lots()
    on_hold = Lots()
    points_total = 0
    for user_id, wallet, entries, *rest in ledger:
        points_entries = rest[0] if rest else []
        checked += 1
        running = Lots()
        running_held = Lots()
        problems: list[str] = []
        for expected_seq, e in enumerate(entries, start=1):
            if e.seq != expected_seq:
                problems.append(f"entry sequence breaks at {expected_seq} (found {e.seq})")
                break
            running = running + e.delta
            running_held = running_held + e.held_delta
            if running != e.balance_after:
                problems.append(f"entry {e.seq} balance_after {e.balance_after.as_dict()} != running sum")
            if running_held != e.held_after:
                problems.append(f"entry {e.seq} held_after {e.held_after.as_dict()} != running sum of holds")
            # money in or out of the wallet: available and on hold together (a hold itself moves nothing)
            moved = (e.delta + e.held_delta).total
            credited[e.type] += max(moved, 0)
            debited[e.type] += max(-moved, 0)
        stored = wallet.lots if wallet else Lots()
        stored_held = wallet.held if wallet else Lots()
        version = wallet.version if wallet else 0
        if stored != running:
            problems.append("stored balance differs from the sum of entries")
        if stored_held != running_held:
            problems.append("stored hold differs from the sum of entries")
        if version != len(entries):
            problems.append(f"wallet version {version} != {len(entries)} entries")
        if wallet and wallet.bonus_grants and sum(g.amount for g in wallet.bonus_grants) != stored.bonus:
            problems.append("the bonus grants do not sum to the bonus lot")
        held = held + stored + stored_held
        on_hold = on_hold + stored_held
        # the points account: an unbroken line of entries whose deltas sum to its total
        running_points = 0
        for expected_seq, pe in enumerate(points_entries, start=1):
            if pe.seq != expected_seq:
                problems.append(f"points entry sequence breaks at {expected_seq} (found {pe.seq})")
                break
            running_points += pe.delta
            if pe.after.total != running_points:
                problems.append(f"points entry {pe.seq} total {pe.after.total} != running sum {running_points}")
        stored_points = wallet.points if wallet else None
        if stored_points is not None and (
            stored_points.total != running_points or stored_points.version != len(points_entries)
        ):
            problems.append("stored points differ from the sum of points entries")
        points_total += running_points
        if problems:
            mismatches.append(
                {
                    "user_id": user_id,
                    "stored": stored.as_balance(),
                    "from_entries": running.as_balance(),
                    "difference": (stored - running).as_balance(),
                    "problems": problems,
                }
            )
    total_credited = sum(credited.values())
    total_debited = sum(debited.values())
    return {
        "wallets_checked": checked,
        "mismatches": mismatches,
        "totals": {
            "held": held.as_balance(),
            "on_hold": on_hold.as_balance(),
            "points": points_total,
            "credited": dict(sorted(credited.items())),
            "debited": dict(sorted(debited.items())),
            "net_from_entries": total_credited - total_debited,
            "conserved": held.total == total_credited - total_debited,
        },
    }
