"""The ledger store on DynamoDB: one object, composed of one store per aggregate.

Every money movement is one ``TransactWriteItems`` (``movements``): the wallet update conditioned on the
version it was computed from, the immutable entry (``attribute_not_exists``) and the records that make it
happen once. A lost condition is turned into a domain signal naming the guard that failed (by label:
``guards``); the services decide whether to retry, replay or refuse.

The parts (each in its own module, with its items' converters and labelled writes):
  wallets        wallets, entries, settings, the reconciliation scans
  points         points entries
  movements      ``commit(Movement)``
  topups         top-ups and top-up plans
  payments       payments with their refunds (their writes are parts of movements)
  checkouts      checkouts, their order guards, cancelling
  checkout_expiry  an open checkout past its time, expired by the sweeper
  merchants      merchants, balance rules, membership tiers
  coupons        definitions, budgets, grants, coupons
  rewards        the points catalogue and redemptions
  notifications  the inbox and its e-mail claims
  promotions     limited-time promotions
  indexes        the sparse job indexes (holds and checkouts due, bonus due, reminders)
  idempotency    idempotency records
  snapshot       the one TransactGetItems read across aggregates
Keys, prefixes and shards: ``keys``; the table and its item models: ``models``.
"""

from __future__ import annotations

from .checkout_expiry import CheckoutExpiryStore
from .checkouts import CheckoutStore
from .coupons import CouponStore
from .idempotency import IdempotencyStore
from .indexes import IndexStore
from .keys import remind_shard
from .merchants import MerchantStore
from .movements import MovementStore
from .notifications import NotificationStore
from .payments import PaymentStore
from .points import PointsStore
from .promotions import PromotionStore
from .rewards import RewardStore
from .snapshot import SnapshotStore
from .topups import TopupStore
from .wallets import WalletStore

__all__ = ["DynamoLedgerStore", "remind_shard"]  # remind_shard: as before, also from here


class DynamoLedgerStore(
    SnapshotStore,
    MovementStore,
    WalletStore,
    PointsStore,
    IdempotencyStore,
    TopupStore,
    PaymentStore,
    CheckoutStore,
    CheckoutExpiryStore,
    MerchantStore,
    CouponStore,
    RewardStore,
    NotificationStore,
    PromotionStore,
    IndexStore,
):
    """LedgerStore on DynamoDB through PynamoDB: the one store object the services receive,
    ``DynamoLedgerStore(idempotency_ttl_seconds)`` (``base.StoreBase``)."""


def _one_owner_per_name(parts: tuple[type, ...]) -> None:
    """The parts share one namespace: refuse two of them defining the same name (the MRO would hide one)."""
    owner: dict[str, str] = {}
    for part in parts:
        for name in vars(part):
            if name.startswith("__"):
                continue
            if name in owner:
                raise TypeError(f"{name} is defined by both {owner[name]} and {part.__name__}")
            owner[name] = part.__name__


_one_owner_per_name(DynamoLedgerStore.__bases__)
