"""The sparse job indexes: the work lists of the hold sweeper (``open-holds``: ended authorizations and
checkouts past their expiry), the bonus expiry job
(``bonus-due``) and the run-out reminders (``reminders``), each spread over shards (``keys.shard_of``).

Reads of an index are eventually consistent: whoever acts on a listed id re-reads its item and writes under
a condition, so a stale entry changes nothing.
"""

from __future__ import annotations

from typing import Any

from .base import StoreBase
from .keys import (
    BONUS_SHARDS,
    CHECKOUT_PREFIX,
    CHECKOUT_SK,
    HOLD_SHARDS,
    PAYMENT_PREFIX,
    PAYMENT_SK,
    REMIND_SHARDS,
    WALLET_PREFIX,
    WALLET_SK,
    id_in,
)
from .models import LedgerItem


def _listed(index: Any, shards: int, sk: str, prefix: str, condition: Any = None) -> list[str]:
    """The ids (the part of pk after ``prefix``) of the ``sk`` items a sparse index lists in its shards
    0..shards-1, optionally within ``condition`` on its range key."""
    return [
        id_in(item.pk, prefix)
        for shard in range(shards)
        for item in index.query(str(shard), condition)
        if item.sk == sk
    ]


class IndexStore(StoreBase):
    def open_holds_due(self, before: str) -> list[str]:
        """Ids of the authorizations whose hold ends before ``before``: the sweeper settles each with a
        conditional transaction, so a stale entry settles nothing."""
        return _listed(LedgerItem.open_holds, HOLD_SHARDS, PAYMENT_SK, PAYMENT_PREFIX, LedgerItem.hold_due < before)

    def open_checkouts_due(self, before: str) -> list[str]:
        """Ids of the checkouts not yet paid, cancelled or expired whose ``expires_at`` is before ``before``
        (authorized ones among them: a void or an ended hold opens them again), listed in ``open-holds``
        (``checkout_expiry``): the sweeper expires each with a conditional write, so a stale entry expires
        nothing."""
        return _listed(LedgerItem.open_holds, HOLD_SHARDS, CHECKOUT_SK, CHECKOUT_PREFIX, LedgerItem.hold_due < before)

    def wallets_with_bonus_due(self, before: str) -> list[str]:
        """Users whose wallet holds a bonus grant expiring before ``before`` (index ``bonus-due``)."""
        return _listed(
            LedgerItem.bonus_due_index, BONUS_SHARDS, WALLET_SK, WALLET_PREFIX, LedgerItem.bonus_due < before
        )

    def wallets_to_remind(self) -> list[str]:
        """Users who asked for run-out reminders (index ``reminders``)."""
        return _listed(LedgerItem.remind_list, REMIND_SHARDS, WALLET_SK, WALLET_PREFIX)
