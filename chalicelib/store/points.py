"""Points entries: ``W#{user} / PE#{seq:012d}``, one per change of a customer's points account, where ``seq``
is the account version it produced (the account itself is on the wallet item: ``points``/``points_version``).
"""

from __future__ import annotations

from typing import Any

from ..domain.points import PointsAccount, PointsEntry
from .base import StoreBase
from .guards import Put
from .keys import POINTS_ENTRY_PREFIX, points_entry_key, wallet_key
from .models import PointsEntryItem, WalletItem


def as_points_entry(item: PointsEntryItem) -> PointsEntry:
    return PointsEntry(
        user_id=item.user_id,
        seq=int(item.seq),
        entry_id=item.entry_id,
        type=item.type,
        after=PointsAccount.from_doc(item.after),
        created_at=item.created_at,
        spent=int(item.spent or 0),
        earned=int(item.earned or 0),
        returned=int(item.returned or 0),
        clawed=int(item.clawed or 0),
        shortfall=int(item.shortfall or 0),
        held=int(item.held or 0),
        refs=dict(item.refs.as_dict() if hasattr(item.refs, "as_dict") else item.refs or {}),
    )


def points_entry_put(pe: PointsEntry, *, spend_only: bool = False) -> Put:
    """The new points entry, only if its key is unused (label ``points_entry``). ``spend_only``: a redemption's,
    which records what was spent and leaves the other counts at their defaults (zero)."""
    counts: dict[str, Any] = (
        {"spent": pe.spent}
        if spend_only
        else dict(
            spent=pe.spent,
            earned=pe.earned,
            returned=pe.returned,
            clawed=pe.clawed,
            shortfall=pe.shortfall,
            held=pe.held,
        )
    )
    return Put(
        "points_entry",
        PointsEntryItem(
            *points_entry_key(pe.user_id, pe.seq),
            kind="points_entry",
            user_id=pe.user_id,
            seq=pe.seq,
            entry_id=pe.entry_id,
            type=pe.type,
            **counts,
            delta=pe.delta,
            after=pe.after.as_doc(),
            refs=dict(pe.refs),
            created_at=pe.created_at,
        ),
        PointsEntryItem.pk.does_not_exist(),
    )


def points_version_is(version: int) -> Any:
    """The condition that the points account is still at ``version`` (a redemption changes it alone)."""
    if version == 0:
        return WalletItem.points_version.does_not_exist() | (WalletItem.points_version == 0)
    return WalletItem.points_version == version


class PointsStore(StoreBase):
    def list_points_entries(
        self, user_id: str, limit: int, before_seq: int | None = None
    ) -> tuple[list[PointsEntry], int | None]:
        """Newest first; the seq to continue before (None at the end)."""
        pk, _ = wallet_key(user_id)
        if before_seq is None:
            condition = PointsEntryItem.sk.startswith(POINTS_ENTRY_PREFIX)
        else:
            condition = PointsEntryItem.sk.between(
                POINTS_ENTRY_PREFIX, points_entry_key(user_id, max(before_seq - 1, 0))[1]
            )
        items = PointsEntryItem.query(
            pk, condition, scan_index_forward=False, limit=limit + 1, page_size=limit + 1, consistent_read=True
        )
        rows = [as_points_entry(i) for i in items]
        if len(rows) > limit:
            return rows[:limit], rows[limit - 1].seq
        return rows, None
