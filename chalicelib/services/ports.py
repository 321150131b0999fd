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

Use-case combinations (a Protocol inheriting several) are below the aggregate ports.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any, Iterable, Iterator, Protocol

if TYPE_CHECKING:
    from ..domain.bonus import TopupPlan
    from ..domain.campaigns import Campaign
    from ..domain.checkout import Checkout
    from ..domain.coupons import Coupon, CouponDefinition, Redemption, Reward
    from ..domain.feedback import Feedback, Subject
    from ..domain.model import (
        Entry,
        IdempotencyRecord,
        Merchant,
        Movement,
        Payment,
        Refund,
        Snapshot,
        Topup,
        Wallet,
    )
    from ..domain.notifications import Notification
    from ..domain.points import PointsEntry
    from ..domain.promotions import Promotion
    from ..domain.rules import BalanceRules
    from ..domain.tiers import TierTable


# ---- one port per aggregate (chalicelib/store/<module>.py) ---------------------------------------------


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


class Topups(Protocol):
    """``topups``: a pending top-up with its key; failing one (``TopupNotPending`` unless pending)."""

    def create_topup(self, topup: Topup, idem: IdempotencyRecord) -> None: ...

    def fail_topup(self, topup: Topup, provider_ref: str, at: str) -> None: ...


class TopupPlans(Protocol):
    """``topups``: the top-up bonus plans, each version conditioned on the one before (``VersionTaken``)."""

    def put_topup_plan(self, plan: TopupPlan, at: str) -> None: ...

    def list_topup_plans(self) -> list[TopupPlan]: ...


class Payments(Protocol):
    """``payments``: a payment with its refunds."""

    def get_payment_with_refunds(self, payment_id: str) -> tuple[Payment | None, list[Refund]]: ...


class Checkouts(Protocol):
    """``checkouts``: open one (``IdempotencyKeyTaken``, ``CheckoutExists``), cancel one (``ReadChanged``)."""

    def create_checkout(self, checkout: Checkout, idem: IdempotencyRecord) -> None: ...

    def cancel_checkout(self, checkout: Checkout, at: str, reason: str | None, release_order: bool) -> None: ...


class CheckoutExpiries(Protocol):
    """``checkout_expiry``: an open checkout past its time becomes expired, once (``ReadChanged`` otherwise)."""

    def expire_checkout(self, checkout: Checkout, at: str) -> None: ...


class Merchants(Protocol):
    """``merchants``: a merchant."""

    def put_merchant(self, merchant: Merchant, at: str) -> None: ...


class MerchantRules(Protocol):
    """``merchants``: a merchant's balance rules, each version conditioned on the one before (``VersionTaken``)."""

    def put_rules(self, rules: BalanceRules, document: dict[str, Any]) -> None: ...


class Tiers(Protocol):
    """``merchants``: the membership tiers, each version conditioned on the one before (``VersionTaken``)."""

    def put_tiers(self, table: TierTable, at: str) -> None: ...


class CouponDefinitions(Protocol):
    """``coupons``: definitions (each version conditioned on the one before; the first creates the budget)."""

    def get_coupon_definition(self, definition_id: str) -> CouponDefinition | None: ...

    def put_coupon_definition(
        self, d: CouponDefinition, at: str, budget_shards: list[tuple[int | None, int | None]]
    ) -> None: ...


class Coupons(Protocol):
    """``coupons``: granting one within the per-customer limit, a customer's coupons."""

    def grant_coupon(self, coupon: Coupon, limit: int) -> str | None: ...

    def list_coupons(self, user_id: str) -> list[Coupon]: ...


class Rewards(Protocol):
    """``rewards``: the points catalogue and a redemption (``OutOfStock``, ``PaymentRefused``, ...)."""

    def put_reward(self, reward: Reward, at: str) -> None: ...

    def list_rewards(self) -> list[Reward]: ...

    def redeem(self, r: Redemption) -> None: ...


class Inbox(Protocol):
    """``notifications``: the customer's inbox (once per dedupe key) and its e-mails' claims."""

    def put_notification(self, n: Notification, dedupe_key: str) -> tuple[bool, Notification | None]: ...

    def get_notification(self, user_id: str, notification_id: str) -> Notification | None: ...

    def list_notifications(
        self, user_id: str, limit: int, before_id: str | None = None, unread: bool = False
    ) -> tuple[list[Notification], str | None]: ...

    def count_unread(self, user_id: str) -> int: ...

    def mark_notification_read(self, user_id: str, notification_id: str, at: str) -> Notification | None: ...

    def claim_email(self, user_id: str, notification_id: str, at: str, stale_before: str) -> bool: ...

    def email_sent(self, user_id: str, notification_id: str, message_id: str, at: str) -> None: ...

    def release_email(self, user_id: str, notification_id: str) -> None: ...


class LivePromotions(Protocol):
    """``promotions``: the read pricing caches (the promotions that may be live)."""

    def promotions_that_may_be_live(self, since: datetime) -> list[Promotion]: ...


class Promotions(LivePromotions, Protocol):
    """``promotions``: every change conditioned on the version read."""

    def get_promotion(self, promotion_id: str) -> Promotion | None: ...

    def list_promotions(self) -> list[Promotion]: ...

    def put_pending_promotion(self, p: Promotion) -> bool: ...

    def confirm_promotion(self, p: Promotion, at: str, idem: IdempotencyRecord) -> None: ...

    def update_promotion(self, before: Promotion, after: Promotion) -> bool: ...


class JobIndexes(Protocol):
    """``indexes``: the jobs' work lists (eventually consistent: whoever acts re-reads and conditions)."""

    def open_holds_due(self, before: str) -> list[str]: ...

    def open_checkouts_due(self, before: str) -> list[str]: ...

    def wallets_with_bonus_due(self, before: str) -> list[str]: ...

    def wallets_to_remind(self) -> list[str]: ...


class FeedbackRecords(Protocol):
    """``feedback`` (``DynamoFeedbackStore``): the transaction rated, once (``FeedbackExists``), the listing."""

    def read_subject(
        self, kind: str, subject_id: str, user_id: str, idempotency: tuple[str, str]
    ) -> tuple[IdempotencyRecord | None, Subject | None]: ...

    def add_feedback(self, fb: Feedback, record: IdempotencyRecord) -> None: ...

    def feedback_page(
        self,
        month: str,
        low: str,
        high: str,
        after: str | None,
        *,
        rating_lte: int | None,
        tag: str | None,
        merchant_id: str | None,
        page_size: int,
    ) -> tuple[list[tuple[str, Feedback]], str | None]: ...


# ---- the whole stores ----------------------------------------------------------------------------------


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


class FeedbackStore(IdempotencyReads, FeedbackRecords, Protocol):
    """What ``DynamoFeedbackStore`` (and ``tests/unit/fakes.FakeFeedbackStore``) is."""


class SegmentMembers(Protocol):
    """A segment's members, page by page (index ``segment-members``): listings and segment-targeted grants."""

    def members(
        self, segment: str, cursor: dict[str, Any] | None, limit: int
    ) -> tuple[list[dict[str, Any]], dict[str, Any] | None]: ...


class Profiles(SegmentMembers, Protocol):
    """chalicelib/store/profiles.py: each customer's profile, each segmentation run."""

    def put_profiles(self, profiles: Iterable[dict[str, Any]], run_id: str, at: str) -> int: ...

    def get_profile(self, user_id: str) -> dict[str, Any] | None: ...

    def put_run(self, run: dict[str, Any]) -> None: ...

    def add_run(self, run: dict[str, Any]) -> bool: ...

    def claim_run(self, run_id: str, at: str) -> bool: ...

    def get_run(self, run_id: str) -> dict[str, Any] | None: ...

    def latest_runs(self, limit: int) -> list[dict[str, Any]]: ...


class ProfileStore(Profiles, Protocol):
    """What ``DynamoProfileStore`` (and ``tests/unit/fakes.FakeProfileStore``) is."""


# ---- use-case combinations -----------------------------------------------------------------------------


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


class Campaigns(Protocol):
    """``campaigns``: campaigns (every change conditioned on the version read) and their frozen memberships."""

    def put_campaign(self, c: Campaign) -> bool: ...

    def get_campaign(self, campaign_id: str) -> Campaign | None: ...

    def list_campaigns(self) -> list[Campaign]: ...

    def update_campaign(self, before: Campaign, after: Campaign) -> bool: ...

    def assign(self, campaign_id: str, member: dict[str, Any]) -> dict[str, Any]: ...

    def record_outcome(
        self, campaign_id: str, user_id: str, outcome: str, channel: str | None, reason: str | None, at: str
    ) -> bool: ...

    def answer(
        self, campaign_id: str, user_id: str, choice: str, comment: str | None, frequency_class: str, at: str
    ) -> bool: ...

    def memberships(self, campaign_id: str) -> list[dict[str, Any]]: ...

    def get_membership(self, campaign_id: str, user_id: str) -> dict[str, Any] | None: ...


class Backtests(Protocol):
    """``backtests``: the backtest items (each change of state conditioned on the one before) and the customers'
    coupons the replayed quotes named."""

    def add_backtest(self, b: dict[str, Any]) -> bool: ...

    def get_backtest(self, merchant_id: str, backtest_id: str) -> dict[str, Any] | None: ...

    def latest_backtests(self, merchant_id: str, limit: int) -> list[dict[str, Any]]: ...

    def claim_backtest(self, merchant_id: str, backtest_id: str, at: str, period: tuple[str, str]) -> bool: ...

    def finish_backtest(
        self,
        merchant_id: str,
        backtest_id: str,
        state: str,
        at: str,
        report: dict[str, Any] | None = None,
        error: str | None = None,
    ) -> bool: ...

    def coupons(self, keys: Iterable[tuple[str, str]]) -> dict[tuple[str, str], Coupon]: ...


class BacktestStore(Backtests, Protocol):
    """What ``DynamoBacktestStore`` is."""


class CampaignStore(Campaigns, Protocol):
    """What ``DynamoCampaignStore`` is."""


class CampaignActionStore(MoneyStore, CouponDefinitions, Coupons, Wallets, Inbox, Protocol):
    """What a campaign's actions write: a coupon, a bonus through the ledger, a notification."""
