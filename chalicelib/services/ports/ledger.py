"""The ledger's own aggregates: the one read and the one write, wallets and their entries, points, and the
idempotency records."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any, Iterator, Protocol

if TYPE_CHECKING:
    from ...domain.model import Entry, IdempotencyRecord, Movement, Snapshot, Wallet
    from ...domain.points import PointsEntry


class Snapshots(Protocol):
    """``snapshot``: the items a use case plans from, in one strongly consistent read (None: absent)."""

    def snapshot(
        self,
        *,
        wallet: str | None = None,
        merchant: str | None = None,
        payment: str | None = None,
        topup: str | None = None,
        idempotency: tuple[str, str] | None = None,
        checkout: str | None = None,
        paid_order: tuple[str, str] | None = None,
        checkout_guard: tuple[str, str] | None = None,
        rules: str | None = None,
        coupon: tuple[str, str] | None = None,
        reward: str | None = None,
        redemptions: tuple[str, str] | None = None,
        coupon_definition: str | None = None,
        tiers: bool = False,
    ) -> Snapshot: ...


class Configurations(Protocol):
    """``snapshot``: a merchant's configuration as pricing reads it, in one strongly consistent read (the
    merchant, its rules, the tiers and, with ``live_promotions_since``, the promotions that may be live)."""

    def read_configuration(
        self, merchant_id: str, live_promotions_since: datetime | None = None
    ) -> tuple[Snapshot, list[Any] | None]: ...


class Movements(Protocol):
    """``movements``: one money movement, one transaction; raises the guard that failed
    (``IdempotencyKeyTaken``, ``OrderAlreadyPaid``, ``BudgetShardExhausted``, ``ReadChanged``)."""

    def commit(self, m: Movement) -> None: ...


class Wallets(Protocol):
    """``wallets``: a wallet, its entries (newest first), its settings."""

    def get_wallet(self, user_id: str) -> Wallet | None: ...

    def list_entries(
        self, user_id: str, limit: int, before_seq: int | None = None, entry_type: str | None = None
    ) -> tuple[list[Entry], int | None]: ...

    def update_settings(
        self,
        user_id: str,
        currency: str,
        at: str,
        threshold: int | None = None,
        reminders: dict[str, Any] | None = None,
        marketing_email: bool | None = None,
    ) -> Wallet: ...


class WalletScans(Protocol):
    """``wallets``: the full scans (reconciliation, a promotion's audience), never on the hot path."""

    def scan(self) -> Iterator[tuple[str, Wallet | None, list[Entry], list[PointsEntry]]]: ...

    def scan_wallets(self, cursor: dict[str, Any] | None, limit: int) -> tuple[list[Wallet], dict[str, Any] | None]: ...


class Health(Protocol):
    def health(self) -> bool: ...


class Points(Protocol):
    """``points``: a customer's points entries, newest first."""

    def list_points_entries(
        self, user_id: str, limit: int, before_seq: int | None = None
    ) -> tuple[list[PointsEntry], int | None]: ...


class IdempotencyReads(Protocol):
    """``idempotency``: the answer recorded under a key (what a replay answers with)."""

    def get_idempotency(self, scope: str, key: str) -> IdempotencyRecord | None: ...


class Idempotency(IdempotencyReads, Protocol):
    """``idempotency``, and recording an answer on its own (``IdempotencyKeyTaken`` if the key is used)."""

    def put_idempotency(self, record: IdempotencyRecord) -> None: ...
