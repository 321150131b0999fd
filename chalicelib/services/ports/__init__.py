"""The store as the use cases see it: one ``Protocol`` per aggregate, and the combinations use cases need.

Each port declares what one part of the store does (``chalicelib/store/<aggregate>.py``), with the signatures of
the DynamoDB store exactly (names, kinds, defaults and annotations: ``tests/contract`` compares them), so a
use case names the narrowest port it needs and any store that has those methods serves it:
``DynamoLedgerStore`` and ``DynamoFeedbackStore`` in production, ``tests/unit/fakes.py`` in the unit tests.
One contract suite (``tests/contract/test_store_contract.py``) runs the same cases against the fake and moto.

Aggregate ports                                    Whole stores
  Snapshots         snapshot (the one read)          LedgerStore    every ledger port (DynamoLedgerStore)
  Configurations    a merchant's configuration       FeedbackStore  IdempotencyReads + FeedbackRecords
  Movements         commit (the one write)                          (DynamoFeedbackStore)
  Wallets           wallet, entries, settings
  WalletScans       full scans (jobs)
  Health            is the table there
  Points            points entries
  IdempotencyReads  an answer recorded under a key; Idempotency adds recording one on its own
  Topups, TopupPlans, Payments, Checkouts, CheckoutExpiries, Merchants, MerchantRules, Tiers, CouponDefinitions,
  Coupons,
  Rewards, Inbox (notifications and their e-mail claims), LivePromotions (the pricing read), Promotions,
  JobIndexes (holds and checkouts due, bonus due, reminders), FeedbackRecords

One module per group of aggregates (``ledger``, ``sales``, ``merchants``, ``rewards``, ``inbox``, ``feedback``,
``insight``), the ledger store as a whole (``stores``) and the use-case combinations (``use_cases``); each
port is importable from the package too (``from chalicelib.services.ports import MoneyStore``).
"""

from __future__ import annotations

from .ledger import (
    Snapshots,
    Configurations,
    Movements,
    Wallets,
    WalletScans,
    Health,
    Points,
    IdempotencyReads,
    Idempotency,
)
from .sales import Topups, TopupPlans, Payments, Checkouts, CheckoutExpiries
from .merchants import Merchants, MerchantRules, Tiers
from .rewards import CouponDefinitions, Coupons, Rewards, LivePromotions, Promotions
from .inbox import Inbox, JobIndexes
from .feedback import FeedbackRecords, FeedbackStore
from .insight import (
    SegmentMembers,
    Profiles,
    ProfileStore,
    Campaigns,
    CampaignStore,
    Backtests,
    BacktestStore,
)
from .stores import LedgerStore
from .use_cases import (
    CommitStore,
    MoneyStore,
    ConfigSource,
    QuoteStore,
    PayStore,
    CheckoutOpenStore,
    CheckoutCancelStore,
    CheckoutSweepStore,
    TopupOpenStore,
    TopupConfirmStore,
    TopupOptionsStore,
    TiersStore,
    RulesStore,
    CouponGrantStore,
    RewardSetupStore,
    RedeemStore,
    PromotionEffectStore,
    PromotionCreateStore,
    PromotionFireStore,
    ReminderStore,
    MarketingStore,
    DailyReminderStore,
    CampaignActionStore,
)

__all__ = [
    "Snapshots",
    "Configurations",
    "Movements",
    "Wallets",
    "WalletScans",
    "Health",
    "Points",
    "IdempotencyReads",
    "Idempotency",
    "Topups",
    "TopupPlans",
    "Payments",
    "Checkouts",
    "CheckoutExpiries",
    "Merchants",
    "MerchantRules",
    "Tiers",
    "CouponDefinitions",
    "Coupons",
    "Rewards",
    "Inbox",
    "LivePromotions",
    "Promotions",
    "JobIndexes",
    "FeedbackRecords",
    "LedgerStore",
    "FeedbackStore",
    "SegmentMembers",
    "Profiles",
    "ProfileStore",
    "CommitStore",
    "MoneyStore",
    "ConfigSource",
    "QuoteStore",
    "PayStore",
    "CheckoutOpenStore",
    "CheckoutCancelStore",
    "CheckoutSweepStore",
    "TopupOpenStore",
    "TopupConfirmStore",
    "TopupOptionsStore",
    "TiersStore",
    "RulesStore",
    "CouponGrantStore",
    "RewardSetupStore",
    "RedeemStore",
    "PromotionEffectStore",
    "PromotionCreateStore",
    "PromotionFireStore",
    "ReminderStore",
    "MarketingStore",
    "DailyReminderStore",
    "Campaigns",
    "Backtests",
    "BacktestStore",
    "CampaignStore",
    "CampaignActionStore",
]
