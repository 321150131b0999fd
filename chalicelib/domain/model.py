"""The business records: wallets, ledger entries, top-ups, payments, refunds, merchants.

Plain dataclasses; the store turns them into items and back.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass, field
from typing import Any

from .bonus import BonusGrant, Drawn, book, expired_total, expiring_view
from .money import Lots
from .points import PointsAccount, PointsEntry
from .reminders import ReminderSettings


def new_id(prefix: str) -> str:
    """Time-ordered opaque id: prefix, 12 hex digits of milliseconds, 16 random hex digits."""
    return f"{prefix}_{int(time.time() * 1000):012x}{secrets.token_hex(8)}"


MERCHANT_GROUP_PREFIX = "merchant:"  # a merchant's staff are the members of the group merchant:<merchant_id>


@dataclass(frozen=True)
class Principal:
    """Who is calling, from verified token claims only."""

    user_id: str
    groups: frozenset[str] = frozenset()

    @property
    def is_admin(self) -> bool:
        return "admin" in self.groups

    @property
    def is_service(self) -> bool:
        return "service" in self.groups

    @property
    def merchant_ids(self) -> frozenset[str]:
        n = len(MERCHANT_GROUP_PREFIX)
        return frozenset(g[n:] for g in self.groups if g.startswith(MERCHANT_GROUP_PREFIX) and len(g) > n)


@dataclass(frozen=True)
class Wallet:
    user_id: str
    currency: str
    lots: Lots = Lots()
    version: int = 0
    low_balance_threshold: int = 0
    updated_at: str | None = None
    daily_spend: dict[str, tuple[str, int]] = field(default_factory=dict)  # merchant -> (local day, spent)
    held: Lots = Lots()  # on hold for authorized payments: not spendable, not yet spent
    points: PointsAccount = PointsAccount()
    spend_months: dict[str, int] = field(default_factory=dict)  # balance spent per UTC month (membership)
    tier: str | None = None  # the membership tier last written (chalicelib.domain.tiers.effective decides)
    tier_since: str | None = None  # the day it was reached
    # bonus by grant as stored (chalicelib.domain.bonus; ``grants`` below is what the code works with)
    bonus_grants: tuple[BonusGrant, ...] = ()
    spend_days: dict[str, int] = field(default_factory=dict)  # balance spent per UTC day, last 30 days
    reminders: ReminderSettings = ReminderSettings()
    plan_uses: dict[str, int] = field(default_factory=dict)  # top-up plan -> bonuses received from it
    # consent to marketing e-mail (docs/marketing.md): opt-out, so on until the customer turns it off; sent only
    # to the address of ``reminders.email``. Transactional reminders follow ``reminders`` alone
    marketing_email: bool = True

    @property
    def grants(self) -> tuple[BonusGrant, ...]:
        """The bonus lot by grant, soonest expiry first, summing to it."""
        return book(self.bonus_grants, self.lots.bonus)

    def spendable(self, now: str) -> Lots:
        """What may be spent at ``now``: bonus that has expired is not (it leaves with the next expiry run)."""
        return Lots(self.lots.cash, self.lots.bonus - expired_total(self.grants, now))

    def spent_on(self, merchant_id: str, day: str) -> int:
        spent_day, amount = self.daily_spend.get(merchant_id, ("", 0))
        return amount if spent_day == day else 0

    def as_view(self) -> dict[str, Any]:
        return {
            "user_id": self.user_id,
            "currency": self.currency,
            "balance": self.lots.as_balance(),
            "held": self.held.as_balance(),
            "low_balance_threshold": self.low_balance_threshold,
            "low_balance": self.lots.total < self.low_balance_threshold,
            "bonus_expiring": expiring_view(self.grants),
            "reminders": self.reminders.as_view(),
            "marketing": {"email": self.marketing_email},
            "updated_at": self.updated_at,
        }


@dataclass(frozen=True)
class Entry:
    """One immutable ledger line. ``seq`` is the wallet version it produced (1, 2, 3, ...).

    ``delta`` moves the spendable lots; ``held_delta`` moves money on hold (an authorization puts
    money on hold, a capture spends it from there, a release gives it back to the lots).
    """

    user_id: str
    seq: int
    entry_id: str
    type: str
    delta: Lots
    balance_after: Lots
    # the money on hold after this entry: the wallet's own for an entry that moves no hold. No default, so no
    # entry can forget it (the wallet's held lots are written from it: a top-up once wiped a live hold)
    held_after: Lots
    created_at: str
    refs: dict[str, str] = field(default_factory=dict)
    held_delta: Lots = Lots()

    def as_view(self) -> dict[str, Any]:
        return {
            "id": self.entry_id,
            "type": self.type,
            "amount": self.delta.total,
            "lots": self.delta.as_dict(),
            "balance_after": self.balance_after.as_balance(),
            "held": self.held_delta.as_dict() if self.held_delta != Lots() else None,
            "held_after": self.held_after.as_balance() if self.held_delta != Lots() else None,
            **self.refs,
            "created_at": self.created_at,
        }


@dataclass(frozen=True)
class Topup:
    topup_id: str
    user_id: str
    amount: int
    channel: str
    status: str
    created_at: str
    provider_ref: str | None = None
    option_id: str | None = None  # the top-up option it came from (GET /v1/topups/options)
    bonus: int | None = None  # credited with it (0: none); None until it is credited
    plan_id: str | None = None  # the plan the bonus came from

    def as_view(self) -> dict[str, Any]:
        return {
            "topup_id": self.topup_id,
            "option_id": self.option_id,
            "status": self.status,
            "amount": self.amount,
            "channel": self.channel,
            "created_at": self.created_at,
            "bonus": self.bonus,
            "plan_id": self.plan_id,
        }


@dataclass(frozen=True)
class Refund:
    refund_id: str
    payment_id: str
    amount: int
    returned_to: Lots
    reason: str
    created_at: str
    points_returned: int = 0
    points_clawed: int = 0

    def as_view(self) -> dict[str, Any]:
        return {
            "refund_id": self.refund_id,
            "points_returned": self.points_returned,
            "points_clawed_back": self.points_clawed,
            "payment_id": self.payment_id,
            "amount": self.amount,
            "returned_to": self.returned_to.as_dict(),
            "reason": self.reason,
            "created_at": self.created_at,
        }


@dataclass(frozen=True)
class Payment:
    payment_id: str
    user_id: str
    merchant_id: str
    order_id: str
    amount: int
    funded_by: Lots
    items: list[dict[str, Any]]
    created_at: str
    refunded: Lots = Lots()
    version: int = 0
    checkout_id: str | None = None
    discount: int = 0
    external: int = 0
    rules_version: int | None = None
    status: str = "succeeded"  # authorized | succeeded | voided | expired
    expires_at: str | None = None  # an authorization's end
    local_day: str | None = None  # the merchant's local day it counted against
    coupon_id: str | None = None
    coupon_discount: int = 0
    points_spent: int = 0
    points_earned: int = 0
    points_returned: int = 0  # by refunds so far
    points_clawed: int = 0  # earned points taken back by refunds so far (shortfalls included)
    bonus_from: tuple[Drawn, ...] = ()  # the bonus grants its balance drew on, less what went back
    promotion_discount: int = 0  # a live promotion's extra discount on what balance paid for
    promotions: tuple = ()  # the promotions applied: [{promotion_id, kind, amount, factor}]
    points_factor_percent: int = 100  # a live promotion's points factor when it was priced (a capture uses it)

    @property
    def refundable(self) -> int:
        """What balance paid and has not been returned (the discount and the external part are not balance;
        an authorization has paid nothing yet)."""
        return self.funded_by.total - self.refunded.total if self.status == "succeeded" else 0


@dataclass(frozen=True)
class Merchant:
    merchant_id: str
    name: str
    status: str = "active"
    return_origins: tuple[str, ...] = ()  # where its hosted checkout may send a customer back (domain/origins.py)

    @property
    def active(self) -> bool:
        return self.status == "active"


@dataclass(frozen=True)
class IdempotencyRecord:
    """The stored outcome of one request under one key; written in the same transaction as its effect."""

    scope: str
    key: str
    request_hash: str
    status_code: int
    body: dict[str, Any]
    created_at: str


@dataclass(frozen=True)
class Snapshot:
    """What one consistent read returned; any field not asked for is None."""

    wallet: Wallet | None = None
    merchant: Merchant | None = None
    payment: Payment | None = None
    topup: Topup | None = None
    idempotency: IdempotencyRecord | None = None
    checkout: Any = None  # chalicelib.domain.checkout.Checkout
    paid_order: str | None = None  # the payment id of the merchant order asked about, if it is paid
    checkout_guard: str | None = None  # the live checkout id of the merchant order asked about
    rules: Any = None  # chalicelib.domain.rules.BalanceRules, when stored
    coupon: Any = None  # chalicelib.domain.coupons.Coupon of the customer asked about
    reward: Any = None  # chalicelib.domain.coupons.Reward
    redemptions: int | None = None  # how many times the customer asked about redeemed the reward
    coupon_definition: Any = None  # chalicelib.domain.coupons.CouponDefinition
    tiers: Any = None  # chalicelib.domain.tiers.TierTable, when set


@dataclass(frozen=True)
class Movement:
    """One money movement, committed as exactly one transaction.

    ``wallet`` is the state it was computed from (its version is the condition);
    ``entry`` carries the delta and the balance after. The optional parts are the
    guards and records that go in the same transaction.
    """

    wallet: Wallet
    entry: Entry
    idempotency: IdempotencyRecord | None = None
    new_payment: Payment | None = None
    refund: Refund | None = None
    payment: Payment | None = None  # with ``refund``: the payment as read (its version is the condition)
    topup: Topup | None = None  # a pending top-up this movement marks succeeded
    checkout: Any = None  # an open checkout this payment marks paid (chalicelib.domain.checkout.Checkout)
    daily_spend: dict[str, tuple[str, int]] | None = None  # the wallet's new per-merchant day totals
    settle: "Settlement | None" = None  # an authorization captured, voided or expired
    points_entry: PointsEntry | None = None  # the points account's line (its ``after`` is the new account)
    coupon: "CouponChange | None" = None  # a coupon used, held, or given back
    membership: tuple[dict[str, int], str | None, str | None] | None = None  # new spend months, tier, since
    bonus_grants: tuple[BonusGrant, ...] | None = None  # the wallet's grants after (set whenever bonus moves)
    spend_days: dict[str, int] | None = None  # the wallet's balance spent per day after
    plan_uses: dict[str, int] | None = None  # the wallet's top-up plan uses after
    payment_bonus_from: tuple[Drawn, ...] | None = None  # with ``refund``: what the payment still holds drawn


@dataclass(frozen=True)
class CouponChange:
    """A coupon moving from one state to another in a movement, and the budget shard that goes with it:
    ``budget`` -1 takes a use (and ``discount``) from the shard, +1 gives it back, 0 leaves it."""

    coupon: Any  # chalicelib.domain.coupons.Coupon as read (its state is the condition)
    state: str
    payment_id: str | None
    shard: int | None
    budget: int = 0
    discount: int = 0


@dataclass(frozen=True)
class Settlement:
    """The end of an authorization: the payment as read (its version and status are the condition), what it
    becomes, and the checkout and order guard that go with it."""

    payment: Payment
    status: str  # succeeded | voided | expired
    funded_by: Lots  # what was captured (nothing for a void or an expiry)
    checkout_status: str  # paid after a capture, open again after a void or an expiry
    points_earned: int = 0  # on what was captured
    bonus_from: tuple[Drawn, ...] = ()  # the grants what was captured drew on
