"""Use-case combinations: each a Protocol inheriting the aggregate ports one use case needs."""

from __future__ import annotations

from typing import Protocol

from .inbox import Inbox, JobIndexes
from .ledger import Configurations, Idempotency, IdempotencyReads, Movements, Snapshots, WalletScans, Wallets
from .merchants import MerchantRules, Tiers
from .rewards import CouponDefinitions, Coupons, LivePromotions, Promotions, Rewards
from .sales import CheckoutExpiries, Checkouts, TopupPlans, Topups


class CommitStore(Movements, IdempotencyReads, Protocol):
    """``common.run_movement``: commit, and on a taken key answer with its record."""


class MoneyStore(Snapshots, Movements, IdempotencyReads, Protocol):
    """A money movement planned from a snapshot: adjustments, bonus expiry, capture, void, hold expiry, refund."""


class ConfigSource(Configurations, LivePromotions, Protocol):
    """``merchant_rules.ConfigCache``: a merchant's configuration and the promotions that may be live."""


class QuoteStore(Snapshots, ConfigSource, Protocol):
    """``checkouts.quote``: the checkout and wallet, priced under the merchant's configuration."""


class PayStore(MoneyStore, ConfigSource, Protocol):
    """``payments.pay``: a money movement priced under the merchant's configuration."""


class CheckoutOpenStore(Snapshots, IdempotencyReads, Checkouts, Protocol):
    """``checkouts.create_checkout``."""


class CheckoutCancelStore(Snapshots, Checkouts, Protocol):
    """``checkouts.cancel_checkout``."""


class CheckoutSweepStore(Snapshots, CheckoutExpiries, Protocol):
    """``checkout_expiry.expire_checkout``."""


class TopupOpenStore(Snapshots, IdempotencyReads, Topups, Protocol):
    """``topups.create_topup``."""


class TopupConfirmStore(MoneyStore, Wallets, Topups, TopupPlans, Protocol):
    """``topups.confirm_topup``: credit (a movement under the plans live) or fail a top-up."""


class TopupOptionsStore(Snapshots, TopupPlans, Protocol):
    """``topups.topup_options``."""


class TiersStore(Snapshots, Tiers, Protocol):
    """``membership.put_tiers``."""


class RulesStore(Snapshots, MerchantRules, Protocol):
    """``merchant_rules.put_rules``."""


class CouponGrantStore(Idempotency, CouponDefinitions, Coupons, Protocol):
    """``coupons.grant``: one grant per customer, the answer recorded under the key once all are done."""


class RewardSetupStore(CouponDefinitions, Rewards, Protocol):
    """``rewards.put_reward``."""


class RedeemStore(Snapshots, IdempotencyReads, Rewards, Protocol):
    """``rewards.redeem``."""


class PromotionEffectStore(Snapshots, CouponDefinitions, Protocol):
    """``promotions._effect``: the coupon definition and the tiers an effect names."""


class PromotionCreateStore(Snapshots, IdempotencyReads, CouponDefinitions, Promotions, Protocol):
    """``promotions.create``."""


class PromotionFireStore(Snapshots, CouponDefinitions, Coupons, WalletScans, Promotions, Protocol):
    """``promotions.fire``: start or end, and a ``grant_coupon`` promotion's grants over the wallets' scan."""


class ReminderStore(Wallets, Inbox, Protocol):
    """``reminders.on_balance_low``: the wallet's reminder settings and the inbox."""


class MarketingStore(Wallets, Inbox, Protocol):
    """``marketing.deliver_marketing``: the customer's consent and address, the inbox and its e-mails' claims."""


class DailyReminderStore(Wallets, Inbox, JobIndexes, Protocol):
    """``reminders.run_daily``: the reminders' and bonus-due indexes, the wallets, the inbox."""


class CampaignActionStore(MoneyStore, CouponDefinitions, Coupons, Wallets, Inbox, Protocol):
    """What a campaign's actions write: a coupon, a bonus through the ledger, a notification."""
