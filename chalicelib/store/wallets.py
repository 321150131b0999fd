"""Wallets and their ledger entries: ``W#{user} / WALLET`` and ``W#{user} / E#{seq:012d}``.

The wallet holds the lots, the version (= the seq of the last entry), the settings and the bonus grants;
an entry is immutable and written once, in the movement that produced it (``movements``). Here: reading
them, the settings write (no version, no money), and the full scans reconciliation needs.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any, Iterator

from ..domain.errors import ensure
from ..domain.bonus import grants_from_doc, soonest_expiry
from ..domain.model import Entry, Movement, Wallet
from ..domain.money import Lots
from ..domain.points import PointsAccount, PointsEntry
from ..domain.reminders import DEFAULT_BONUS_EXPIRY_DAYS, ReminderSettings
from .base import StoreBase
from .guards import Change, Put
from .keys import ENTRY_PREFIX, bonus_shard, entry_key, remind_shard, wallet_key
from .models import EntryItem, LedgerItem, PointsEntryItem, WalletItem
from .points import as_points_entry, points_version_is

# ---- item <-> record -------------------------------------------------------


def as_wallet(item: WalletItem) -> Wallet:
    return Wallet(
        user_id=item.user_id,
        currency=item.currency,
        lots=Lots(int(item.cash), int(item.bonus)),
        version=int(item.version),
        low_balance_threshold=int(item.low_balance_threshold or 0),
        updated_at=item.updated_at,
        daily_spend={m: (str(v[0]), int(v[1])) for m, v in (item.daily_spend or {}).items()},
        held=Lots(int(item.held_cash or 0), int(item.held_bonus or 0)),
        points=PointsAccount.from_doc(item.points),
        spend_months={k: int(v) for k, v in (item.spend_months or {}).items()},
        tier=item.tier,
        tier_since=item.tier_since,
        bonus_grants=grants_from_doc(item.bonus_grants),
        spend_days={k: int(v) for k, v in (item.spend_days or {}).items()},
        reminders=_reminders(item),
        plan_uses={k: int(v) for k, v in (item.plan_uses or {}).items()},
        marketing_email=Wallet.marketing_email if item.marketing_email is None else bool(item.marketing_email),
    )


def _reminders(item: WalletItem) -> ReminderSettings:
    bonus_days = DEFAULT_BONUS_EXPIRY_DAYS if item.remind_bonus_days is None else int(item.remind_bonus_days)
    return ReminderSettings(
        low_balance=True if item.remind_low_balance is None else bool(item.remind_low_balance),
        run_out_days=None if item.remind_run_out_days is None else int(item.remind_run_out_days),
        bonus_expiry_days=bonus_days or None,
        email=item.remind_email,
    )


def as_entry(item: EntryItem) -> Entry:
    return Entry(
        user_id=item.user_id,
        seq=int(item.seq),
        entry_id=item.entry_id,
        type=item.type,
        delta=Lots(int(item.d_cash), int(item.d_bonus)),
        balance_after=Lots(int(item.after_cash), int(item.after_bonus)),
        created_at=item.created_at,
        refs=dict(item.refs.as_dict() if hasattr(item.refs, "as_dict") else item.refs or {}),
        held_delta=Lots(int(item.d_held_cash or 0), int(item.d_held_bonus or 0)),
        held_after=Lots(int(item.after_held_cash or 0), int(item.after_held_bonus or 0)),
    )


# ---- a movement's parts ------------------------------------------------------


def entry_put(e: Entry) -> Put:
    """The movement's entry, only if its key (the wallet's next version) is unused (label ``entry``)."""
    pk, sk = entry_key(e.user_id, e.seq)
    return Put(
        "entry",
        EntryItem(
            pk,
            sk,
            kind="entry",
            user_id=e.user_id,
            seq=e.seq,
            entry_id=e.entry_id,
            type=e.type,
            d_cash=e.delta.cash,
            d_bonus=e.delta.bonus,
            after_cash=e.balance_after.cash,
            after_bonus=e.balance_after.bonus,
            refs=dict(e.refs),
            created_at=e.created_at,
            **(
                {
                    "d_held_cash": e.held_delta.cash,
                    "d_held_bonus": e.held_delta.bonus,
                    "after_held_cash": e.held_after.cash,
                    "after_held_bonus": e.held_after.bonus,
                }
                if e.held_delta != Lots() or e.held_after != Lots()
                else {}
            ),
        ),
        EntryItem.pk.does_not_exist(),
    )


def wallet_change(m: Movement) -> Change:
    """The wallet after the movement, conditioned on the version it was planned from (and, when the movement
    moves points, the points version); label ``wallet``, handing back the wallet as it was if it fails."""
    w, e = m.wallet, m.entry
    after = e.balance_after
    condition = (
        (WalletItem.version.does_not_exist() | (WalletItem.version == 0))
        if w.version == 0
        else (WalletItem.version == w.version)
    )
    actions = [
        WalletItem.kind.set("wallet"),
        WalletItem.user_id.set(w.user_id),
        WalletItem.currency.set(w.currency),
        WalletItem.cash.set(after.cash),
        WalletItem.bonus.set(after.bonus),
        WalletItem.version.set(e.seq),
        WalletItem.updated_at.set(e.created_at),
        WalletItem.held_cash.set(e.held_after.cash),
        WalletItem.held_bonus.set(e.held_after.bonus),
    ]
    if m.daily_spend is not None:
        actions.append(WalletItem.daily_spend.set({k: list(v) for k, v in m.daily_spend.items()}))
    if m.membership is not None:
        months, tier, since = m.membership
        actions.append(WalletItem.spend_months.set(months))
        actions.append(WalletItem.tier.set(tier) if tier else WalletItem.tier.remove())
        actions.append(WalletItem.tier_since.set(since) if since else WalletItem.tier_since.remove())
    if e.delta.bonus and m.bonus_grants is None:
        raise AssertionError("a movement of bonus must say which grants it moves")
    if m.bonus_grants is not None:
        ensure(sum(g.amount for g in m.bonus_grants) == after.bonus, "bonus grants must sum to the bonus lot")
        actions.append(WalletItem.bonus_grants.set([g.as_doc() for g in m.bonus_grants]))
        due = soonest_expiry(m.bonus_grants)
        actions.extend(
            [WalletItem.bonus_shard.set(bonus_shard(w.user_id)), WalletItem.bonus_due.set(due)]
            if due
            else [WalletItem.bonus_shard.remove(), WalletItem.bonus_due.remove()]
        )
    if m.spend_days is not None:
        actions.append(WalletItem.spend_days.set(m.spend_days))
    if m.plan_uses is not None:
        actions.append(WalletItem.plan_uses.set(m.plan_uses))
    if m.points_entry is not None:
        actions.append(WalletItem.points.set(m.points_entry.after.as_doc()))
        actions.append(WalletItem.points_version.set(m.points_entry.seq))
        condition = condition & points_version_is(m.wallet.points.version)
    return Change("wallet", WalletItem(*wallet_key(w.user_id)), actions, condition, return_values="ALL_OLD")


# ---- the store ------------------------------------------------------------------


class WalletStore(StoreBase):
    def get_wallet(self, user_id: str) -> Wallet | None:
        try:
            return as_wallet(WalletItem.get(*wallet_key(user_id), consistent_read=True))
        except WalletItem.DoesNotExist:
            return None

    def list_entries(
        self, user_id: str, limit: int, before_seq: int | None = None, entry_type: str | None = None
    ) -> tuple[list[Entry], int | None]:
        """Newest first. Returns the page and the seq to continue before (None at the end)."""
        pk, _ = wallet_key(user_id)
        if before_seq is None:
            condition = EntryItem.sk.startswith(ENTRY_PREFIX)
        else:
            condition = EntryItem.sk.between(ENTRY_PREFIX, entry_key(user_id, max(before_seq - 1, 0))[1])
        filter_condition = (EntryItem.type == entry_type) if entry_type else None
        items = EntryItem.query(
            pk,
            condition,
            filter_condition=filter_condition,
            scan_index_forward=False,
            limit=limit + 1,
            page_size=100 if entry_type else limit + 1,
            consistent_read=True,
        )
        entries = [as_entry(item) for item in items]
        if len(entries) > limit:
            page = entries[:limit]
            return page, page[-1].seq
        return entries, None

    def update_settings(
        self,
        user_id: str,
        currency: str,
        at: str,
        threshold: int | None = None,
        reminders: dict[str, Any] | None = None,
        marketing_email: bool | None = None,
    ) -> Wallet:
        """Set the named settings and nothing else, in one UpdateItem: the money attributes are created as zero
        if absent and never changed here, and the version is not touched, so a payment's transaction (which
        conditions on the version and sets only money attributes) neither loses this write nor is refused by it.
        ``reminders`` holds only the fields to change (None turns one off). Setting ``run_out_days`` lists the
        wallet in the ``reminders`` index (``keys.remind_shard``); turning it off takes it out."""
        item = WalletItem(*wallet_key(user_id))
        actions = [
            WalletItem.kind.set("wallet"),
            WalletItem.user_id.set(user_id),
            WalletItem.currency.set(WalletItem.currency | currency),
            WalletItem.cash.set(WalletItem.cash | 0),
            WalletItem.bonus.set(WalletItem.bonus | 0),
            WalletItem.version.set(WalletItem.version | 0),
            WalletItem.updated_at.set(at),
        ]
        if threshold is not None:
            actions.append(WalletItem.low_balance_threshold.set(threshold))
        changes = reminders or {}
        if "low_balance" in changes:
            actions.append(WalletItem.remind_low_balance.set(bool(changes["low_balance"])))
        if "run_out_days" in changes:
            days = changes["run_out_days"]
            actions += (
                [WalletItem.remind_run_out_days.set(days), WalletItem.remind_shard.set(remind_shard(user_id))]
                if days is not None
                else [WalletItem.remind_run_out_days.remove(), WalletItem.remind_shard.remove()]
            )
        if "bonus_expiry_days" in changes:
            actions.append(WalletItem.remind_bonus_days.set(changes["bonus_expiry_days"] or 0))
        if "email" in changes:
            email = changes["email"]
            actions.append(WalletItem.remind_email.set(email) if email else WalletItem.remind_email.remove())
        if marketing_email is not None:  # stored either way: a consent given keeps if the default ever changes
            actions.append(WalletItem.marketing_email.set(bool(marketing_email)))
        item.update(actions=actions, condition=WalletItem.user_id.does_not_exist() | (WalletItem.user_id == user_id))
        return as_wallet(item)

    def health(self) -> bool:
        return LedgerItem.exists()

    def scan(self) -> Iterator[tuple[str, Wallet | None, list[Entry], list[PointsEntry]]]:
        """Every wallet with its entries and points entries (a full scan: for reconciliation jobs, not the
        hot path)."""
        wallets: dict[str, Wallet] = {}
        entries: dict[str, list[Entry]] = defaultdict(list)
        points: dict[str, list[PointsEntry]] = defaultdict(list)
        for raw in self._scan_raw():
            kind = raw.get("kind", {}).get("S")
            if kind == "wallet":
                w = as_wallet(WalletItem.from_raw_data(raw))
                wallets[w.user_id] = w
            elif kind == "entry":
                e = as_entry(EntryItem.from_raw_data(raw))
                entries[e.user_id].append(e)
            elif kind == "points_entry":
                pe = as_points_entry(PointsEntryItem.from_raw_data(raw))
                points[pe.user_id].append(pe)
        for user_id in sorted(set(wallets) | set(entries) | set(points)):
            yield (
                user_id,
                wallets.get(user_id),
                sorted(entries.get(user_id, []), key=lambda e: e.seq),
                sorted(points.get(user_id, []), key=lambda e: e.seq),
            )

    def _scan_raw(self) -> Iterator[dict[str, Any]]:
        last_key = None
        while True:
            page = self._connection.scan(LedgerItem.Meta.table_name, exclusive_start_key=last_key, consistent_read=True)
            yield from page.get("Items", [])
            last_key = page.get("LastEvaluatedKey")
            if not last_key:
                return

    def scan_wallets(self, cursor: dict[str, Any] | None, limit: int) -> tuple[list[Wallet], dict[str, Any] | None]:
        """One page of a Scan of the table, keeping the wallets: ``limit`` items read (of any kind), and the
        position after them (None at the end). Eventually consistent (half the read cost): a customer whose
        first payment lands during the scan may be missed."""
        page = self._connection.scan(
            LedgerItem.Meta.table_name,
            filter_condition=LedgerItem.kind == "wallet",
            exclusive_start_key=cursor,
            limit=limit,
        )
        wallets = [as_wallet(WalletItem.from_raw_data(raw)) for raw in page.get("Items", [])]
        return wallets, page.get("LastEvaluatedKey")
