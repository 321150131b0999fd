"""Wallet arithmetic: how a spend draws on lots and how a refund returns to them.

Pure functions; every one protects an invariant stated in its docstring.
"""

from __future__ import annotations

from .errors import InsufficientFunds, InvalidRequest, RefundExceedsPayment, ensure
from .money import LOTS, Lots


def split_spend(balance: Lots, amount: int, order: tuple[str, ...] = ("bonus", "cash")) -> Lots:
    """Draw ``amount`` from the lots in ``order``; return the (positive) amount taken per lot.

    Invariant: the parts sum to ``amount`` and no lot gives more than it holds.
    Raises InsufficientFunds when the lots together hold less than ``amount``.
    """
    if amount <= 0:
        raise InvalidRequest("amount must be positive", code="invalid_amount")
    if balance.total < amount:
        raise InsufficientFunds(needed=amount, available=balance.total)
    remaining = amount
    taken = Lots()
    for lot in order:
        part = min(balance.get(lot), remaining)
        taken = taken.with_lot(lot, part)
        remaining -= part
    ensure(remaining == 0 and taken.total == amount, "a spend takes exactly its amount from the lots")
    return taken


def split_refund(funded: Lots, refunded: Lots, amount: int) -> Lots:
    """Return ``amount`` to the lots a payment came from, in proportion to how it was funded.

    The split is computed on the running total (cumulative rounding), so every
    refund is within what each lot gave, and refunding the whole payment in any
    number of parts returns exactly ``funded``: cash back never exceeds cash paid,
    bonus back never exceeds bonus paid.
    Raises RefundExceedsPayment when ``amount`` exceeds what is still refundable.
    """
    if amount <= 0:
        raise InvalidRequest("amount must be positive", code="invalid_amount")
    refundable = funded.total - refunded.total
    if amount > refundable:
        raise RefundExceedsPayment(requested=amount, refundable=refundable)
    new_total = refunded.total + amount
    if new_total == funded.total:
        target = funded
    else:
        cash_target = new_total * funded.cash // funded.total
        # cash is rounded down, so bonus is ceil(new_total * funded.bonus / funded.total), which stays within
        # funded.bonus while new_total < funded.total (checked below with the other split invariants)
        target = Lots(cash=cash_target, bonus=new_total - cash_target)
    part = target - refunded
    ensure(part.total == amount and part.is_non_negative(), "a refund returns exactly its amount, to no lot below zero")
    ensure(
        (refunded + part).cash <= funded.cash and (refunded + part).bonus <= funded.bonus,
        "refunds return no lot more than it funded",
    )
    return part


def apply_delta(balance: Lots, delta: Lots) -> Lots:
    """Apply a signed delta. Invariant: no lot goes below zero."""
    after = balance + delta
    if not after.is_non_negative():
        raise InsufficientFunds(needed=-delta.total, available=balance.total)
    return after


def adjustment_delta(balance: Lots, lot: str, amount: int) -> Lots:
    """A signed correction on one lot. Invariant: a negative adjustment never overdraws that lot."""
    if lot not in LOTS:
        raise InvalidRequest("lot must be 'cash' or 'bonus'", code="invalid_lot", field="lot")
    if amount == 0:
        raise InvalidRequest("amount must not be zero", code="invalid_amount", field="amount")
    if balance.get(lot) + amount < 0:
        raise InsufficientFunds(needed=-amount, available=balance.get(lot))
    return Lots().with_lot(lot, amount)
