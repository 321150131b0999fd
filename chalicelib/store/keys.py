"""Every key of the ledger table, every key prefix and every shard: spelled here and nowhere else.

Keys (``{}`` are ids):
  W#{user_id}        / WALLET          the wallet: lots, version, settings, bonus grants; with expiring
                                       bonus also bonus_shard/bonus_due (index bonus-due)
  W#{user_id}        / E#{seq:012d}    ledger entries, seq = wallet version they produced
  W#{user_id}        / PE#{seq:012d}   points entries, seq = points account version they produced
  W#{user_id}        / N#{notification_id}  the customer's inbox (ids are time-ordered: newest last in key
                                       order); expires via TTL after NOTIFICATION_TTL_DAYS
  W#{user_id}        / NK#{dedupe_key} guard: one notification per dedupe key (event, payment, week, grant);
                                       names the notification; expires via TTL after NOTIFICATION_KEY_TTL_DAYS
  T#{topup_id}       / TOPUP           a top-up and its provider status
  P#{payment_id}     / PAYMENT         a payment, what funded it, what was refunded; an authorization
                                       also carries hold_shard/hold_due (index open-holds)
  P#{payment_id}     / R#{refund_id}   its refunds
  O#{merchant}#{order} / ORDER         guard: one payment per merchant order
  M#{merchant_id}    / MERCHANT        a merchant that may take payments
  M#{merchant_id}    / RULES           its balance rules (a JSON document) and their version
  C#{checkout_id}    / CHECKOUT        a checkout: the merchant's priced order for one customer; until it
                                       is paid, cancelled or expired also hold_shard/hold_due (index
                                       open-holds: the sweeper expires it)
  W#{user_id}        / CP#{coupon_id}  a coupon granted to the customer (its terms copied in)
  CD#{definition}    / DEFINITION      a coupon definition
  CD#{definition}    / BUDGET#{shard}  what is left of one shard of its budget
  CD#{definition}    / GRANTS#{user}   how many of it a customer was granted
  REWARDS            / RW#{reward_id}  the points catalogue (one small partition, read-mostly)
  TIERS              / CONFIG          the membership tiers
  PLANS              / TP#{plan_id}    a top-up bonus plan (one small partition, read by each top-up credit)
  RW#{reward_id}     / BY#{user}       how many times a customer redeemed it
  K#{merchant}#{order} / CHECKOUT      guard: one live checkout per merchant order (replaceable once expired)
  PROMOS             / PR#{promotion_id} a limited-time promotion (one small partition, read-mostly; ids
                                       begin with the start, so the ones that may be live are one range)
  CAMPAIGNS          / CA#{campaign_id} a campaign (one small partition; ids begin with the creation time)
  CA#{campaign_id}   / MB#{user_id}    a customer's membership of a campaign: group (treated or holdout),
                                       frozen when the run first reached them, and what the action did
  BT#{merchant_id}   / {backtest_id}   a backtest of the merchant's proposed configuration: its proposal, state and
                                       report (ids begin with the request's time: a Query lists the newest)
  I#{caller}#{key}   / IDEM            idempotency record, expires via TTL
  FB#{YYYY-MM}       / {created_at}#{feedback_id}
                                       feedback on a transaction (kind "feedback"), partitioned by the UTC
                                       month of created_at: the admin listing Queries one month at a time,
                                       newest first (rating, tag, merchant are filter expressions)
  FS#{kind}#{id}     / FEEDBACK        guard: one feedback per transaction (kind payment|topup|entry)

Shards: the three sparse job indexes (``open-holds``, ``bonus-due``, ``reminders``) spread their items over
a few partitions; ``shard_of`` is the one function that places an id in one (see there why it reads the id
in one of three ways).
"""

from __future__ import annotations

import hashlib
from typing import Literal

# ---- prefixes and fixed parts ------------------------------------------------------------------

WALLET_PREFIX = "W#"
WALLET_SK = "WALLET"
ENTRY_PREFIX = "E#"
POINTS_ENTRY_PREFIX = "PE#"
NOTIFICATION_PREFIX = "N#"
NOTIFICATIONS_END = f"{NOTIFICATION_PREFIX}~"  # above every notification id (ids are [0-9a-z_])
NOTIFICATION_GUARD_PREFIX = "NK#"
COUPON_PREFIX = "CP#"
TOPUP_PREFIX = "T#"
TOPUP_SK = "TOPUP"
PAYMENT_PREFIX = "P#"
PAYMENT_SK = "PAYMENT"
REFUND_PREFIX = "R#"
ORDER_PREFIX = "O#"
ORDER_SK = "ORDER"
MERCHANT_PREFIX = "M#"
MERCHANT_SK = "MERCHANT"
RULES_SK = "RULES"
CHECKOUT_PREFIX = "C#"
CHECKOUT_SK = "CHECKOUT"
CHECKOUT_GUARD_PREFIX = "K#"
COUPON_DEFINITION_PREFIX = "CD#"
DEFINITION_SK = "DEFINITION"
BUDGET_PREFIX = "BUDGET#"
GRANTS_PREFIX = "GRANTS#"
REWARDS_PK = "REWARDS"
REWARD_PREFIX = "RW#"
REDEEMED_BY_PREFIX = "BY#"
TIERS_PK = "TIERS"
TIERS_SK = "CONFIG"
PLANS_PK = "PLANS"
PLAN_PREFIX = "TP#"
PROMOTIONS_PK = "PROMOS"
PROMOTION_PREFIX = "PR#"
PROMOTIONS_END = f"{PROMOTION_PREFIX}prm_~"  # above every promotion id (``new_id("prm")``)
CAMPAIGNS_PK = "CAMPAIGNS"
CAMPAIGN_PREFIX = "CA#"
MEMBERSHIP_PREFIX = "MB#"
BACKTEST_PREFIX = "BT#"
IDEMPOTENCY_PREFIX = "I#"
IDEMPOTENCY_SK = "IDEM"
FEEDBACK_PREFIX = "FB#"
FEEDBACK_GUARD_PREFIX = "FS#"
FEEDBACK_GUARD_SK = "FEEDBACK"

Key = tuple[str, str]

# ---- keys -----------------------------------------------------------------------------------


def wallet_key(user_id: str) -> Key:
    return f"{WALLET_PREFIX}{user_id}", WALLET_SK


PROFILE_SK = "PROFILE"
SEGMENTATION_PK = "SEGRUN"  # every segmentation run's summary: SEGRUN / <run_id> (ids sort by time)


def profile_key(user_id: str) -> Key:
    """A customer's profile lives in the customer's partition (erasing the customer erases it too)."""
    return f"{WALLET_PREFIX}{user_id}", PROFILE_SK


def segmentation_key(run_id: str) -> Key:
    return SEGMENTATION_PK, run_id


def entry_key(user_id: str, seq: int) -> Key:
    return f"{WALLET_PREFIX}{user_id}", f"{ENTRY_PREFIX}{seq:012d}"


def points_entry_key(user_id: str, seq: int) -> Key:
    return f"{WALLET_PREFIX}{user_id}", f"{POINTS_ENTRY_PREFIX}{seq:012d}"


def notification_key(user_id: str, notification_id: str) -> Key:
    return f"{WALLET_PREFIX}{user_id}", f"{NOTIFICATION_PREFIX}{notification_id}"


def notification_guard_key(user_id: str, dedupe_key: str) -> Key:
    return f"{WALLET_PREFIX}{user_id}", f"{NOTIFICATION_GUARD_PREFIX}{dedupe_key}"


def coupon_key(user_id: str, coupon_id: str) -> Key:
    return f"{WALLET_PREFIX}{user_id}", f"{COUPON_PREFIX}{coupon_id}"


def topup_key(topup_id: str) -> Key:
    return f"{TOPUP_PREFIX}{topup_id}", TOPUP_SK


def payment_key(payment_id: str) -> Key:
    return f"{PAYMENT_PREFIX}{payment_id}", PAYMENT_SK


def refund_key(payment_id: str, refund_id: str) -> Key:
    return f"{PAYMENT_PREFIX}{payment_id}", f"{REFUND_PREFIX}{refund_id}"


def order_key(merchant_id: str, order_id: str) -> Key:
    return f"{ORDER_PREFIX}{merchant_id}#{order_id}", ORDER_SK


def merchant_key(merchant_id: str) -> Key:
    return f"{MERCHANT_PREFIX}{merchant_id}", MERCHANT_SK


def rules_key(merchant_id: str) -> Key:
    return f"{MERCHANT_PREFIX}{merchant_id}", RULES_SK


def checkout_key(checkout_id: str) -> Key:
    return f"{CHECKOUT_PREFIX}{checkout_id}", CHECKOUT_SK


def checkout_guard_key(merchant_id: str, order_id: str) -> Key:
    return f"{CHECKOUT_GUARD_PREFIX}{merchant_id}#{order_id}", CHECKOUT_SK


def coupon_definition_key(definition_id: str) -> Key:
    return f"{COUPON_DEFINITION_PREFIX}{definition_id}", DEFINITION_SK


def coupon_budget_key(definition_id: str, shard: int) -> Key:
    return f"{COUPON_DEFINITION_PREFIX}{definition_id}", f"{BUDGET_PREFIX}{shard}"


def coupon_grants_key(definition_id: str, user_id: str) -> Key:
    return f"{COUPON_DEFINITION_PREFIX}{definition_id}", f"{GRANTS_PREFIX}{user_id}"


def tiers_key() -> Key:
    return TIERS_PK, TIERS_SK


def reward_key(reward_id: str) -> Key:
    return REWARDS_PK, f"{REWARD_PREFIX}{reward_id}"


def redemptions_key(reward_id: str, user_id: str) -> Key:
    return f"{REWARD_PREFIX}{reward_id}", f"{REDEEMED_BY_PREFIX}{user_id}"


def topup_plan_key(plan_id: str) -> Key:
    return PLANS_PK, f"{PLAN_PREFIX}{plan_id}"


def promotion_key(promotion_id: str) -> Key:
    return PROMOTIONS_PK, f"{PROMOTION_PREFIX}{promotion_id}"


def live_promotions_key() -> Key:
    """The one item listing the scheduled and active promotions (below ``PR#`` in the partition's order)."""
    return PROMOTIONS_PK, "LIVE"


def campaign_key(campaign_id: str) -> Key:
    return CAMPAIGNS_PK, f"{CAMPAIGN_PREFIX}{campaign_id}"


def campaign_member_key(campaign_id: str, user_id: str) -> Key:
    return f"{CAMPAIGN_PREFIX}{campaign_id}", f"{MEMBERSHIP_PREFIX}{user_id}"


def backtest_key(merchant_id: str, backtest_id: str) -> Key:
    return f"{BACKTEST_PREFIX}{merchant_id}", backtest_id


def idempotency_key(scope: str, key: str) -> Key:
    return f"{IDEMPOTENCY_PREFIX}{scope}#{key}", IDEMPOTENCY_SK


def feedback_key(month: str, created_at: str, feedback_id: str) -> Key:
    return feedback_month_key(month), f"{created_at}#{feedback_id}"


def feedback_month_key(month: str) -> str:
    return f"{FEEDBACK_PREFIX}{month}"


def feedback_guard_key(subject_kind: str, subject_id: str) -> Key:
    return f"{FEEDBACK_GUARD_PREFIX}{subject_kind}#{subject_id}", FEEDBACK_GUARD_SK


# ---- reading keys back ------------------------------------------------------------------------


def id_in(pk: str, prefix: str) -> str:
    """The id a partition key names after its prefix (``id_in("P#pay_1", PAYMENT_PREFIX) == "pay_1"``)."""
    return pk[len(prefix) :]


def idempotency_scope_and_key(pk: str) -> tuple[str, str]:
    """The caller scope and the key of an idempotency record's partition key (a scope has no ``#``)."""
    scope, key = id_in(pk, IDEMPOTENCY_PREFIX).split("#", 1)
    return scope, key


# ---- shards ---------------------------------------------------------------------------------

HOLD_SHARDS = 8  # open authorizations are spread over this many index partitions (index open-holds)
BONUS_SHARDS = 8  # wallets with expiring bonus are spread over this many index partitions (index bonus-due)
REMIND_SHARDS = 8  # wallets that asked for run-out reminders, likewise (index reminders)
SEGMENT_SHARDS = 8  # a segment's members are spread over this many index partitions (index segment-members)

ShardReading = Literal["sha256", "sha256_head", "hex_tail"]


def shard_of(text: str, shards: int, how: ShardReading) -> str:
    """The shard (``"0"`` .. ``str(shards - 1)``) an id is listed under: a number read from the id, modulo
    ``shards``. Stable per id: a job that lists the shards finds an item where it was written.

    The three indexes were written with three readings of the id, and their stored shard values must stay
    what they are (an item written under one reading and looked up under another is simply not found), so
    ``how`` names the reading instead of one hash replacing the others:
      ``sha256``       the whole SHA-256 digest of the id as one integer (``bonus-due``)
      ``sha256_head``  the first 32 bits of that digest (``reminders``)
      ``hex_tail``     the id's own last four hex digits: payment ids end in 16 random hex digits
                       (``domain.model.new_id``), so they need no hash (``open-holds``)
    With 8 shards ``sha256`` and ``sha256_head`` place the same user in different shards (the last vs the
    eighth hex digit of the digest), so one reading for all would move every listed wallet of one index.
    """
    if how == "hex_tail":
        number = int(text[-4:], 16)
    else:
        digest = hashlib.sha256(text.encode()).hexdigest()
        number = int(digest[:8] if how == "sha256_head" else digest, 16)
    return str(number % shards)


def hold_shard(payment_id: str) -> str:
    """The ``open-holds`` partition an authorization is listed under."""
    return shard_of(payment_id, HOLD_SHARDS, "hex_tail")


def bonus_shard(user_id: str) -> str:
    """The ``bonus-due`` partition a wallet with expiring bonus is listed under."""
    return shard_of(user_id, BONUS_SHARDS, "sha256")


def remind_shard(user_id: str) -> str:
    """The partition of the ``reminders`` index a user's wallet is listed under (stable per user)."""
    return shard_of(user_id, REMIND_SHARDS, "sha256_head")


def segment_shard(segment: str, shard: str) -> str:
    """The ``segment-members`` partition ``shard`` of a segment: ``{segment}#{shard}``."""
    return f"{segment}#{shard}"


def member_shard(segment: str, user_id: str) -> str:
    """The ``segment-members`` partition a customer's profile is listed under while they are in ``segment``."""
    return segment_shard(segment, shard_of(user_id, SEGMENT_SHARDS, "sha256"))
