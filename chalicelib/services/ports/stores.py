"""The ledger store as a whole: every ledger port (what ``DynamoLedgerStore`` is)."""

from __future__ import annotations

from typing import Protocol

from .inbox import Inbox, JobIndexes
from .ledger import Configurations, Health, Idempotency, Movements, Points, Snapshots, WalletScans, Wallets
from .merchants import MerchantRules, Merchants, Tiers
from .rewards import CouponDefinitions, Coupons, Promotions, Rewards
from .sales import CheckoutExpiries, Checkouts, Payments, TopupPlans, Topups


class LedgerStore(
    Snapshots,
    Configurations,
    Movements,
    Wallets,
    WalletScans,
    Health,
    Points,
    Idempotency,
    Topups,
    TopupPlans,
    Payments,
    Checkouts,
    CheckoutExpiries,
    Merchants,
    MerchantRules,
    Tiers,
    CouponDefinitions,
    Coupons,
    Rewards,
    Inbox,
    Promotions,
    JobIndexes,
    Protocol,
):
    """Every ledger port: what ``DynamoLedgerStore`` (and ``tests/unit/fakes.FakeLedgerStore``) is."""
