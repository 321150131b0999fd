"""Request and response models: they validate what comes in, shape what goes out,
and are the source of the OpenAPI document. Strict: no coercion, no unknown fields.
"""
from __future__ import annotations

from typing import Annotated, Any, Literal, Optional, Union

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictFloat, StrictInt, StrictStr, model_serializer, \
    model_validator

JSON_SAFE = 2**53 - 1  # the largest integer every JSON client reads exactly; limits from config are lower
Fen = Annotated[StrictInt, Field(gt=0, le=JSON_SAFE, description="amount in minor units (fen); ¥12.50 is 1250")]
SignedFen = Annotated[StrictInt, Field(description="signed amount in fen")]
Ident = Annotated[StrictStr, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$")]
Text = Annotated[StrictStr, Field(min_length=1, max_length=256)]
LotName = Literal["cash", "bonus"]
ID_PATTERN = r"^[A-Za-z0-9_.:-]{1,64}$"

# defer_build: a model's validator is built when it is first used, not at import. A cold Lambda
# then builds only the models of the route it serves (importing this module: 134 -> 105 ms).


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, defer_build=True)


class Out(BaseModel):
    model_config = ConfigDict(extra="forbid", defer_build=True)


# ---- requests -------------------------------------------------------------

class TopupRequest(Strict):
    amount: Fen
    channel: Literal["alipay", "wechat", "card"]
    option_id: Optional[Ident] = Field(None, description="the option of GET /v1/topups/options it came from")


class WebhookRequest(Strict):
    topup_id: Ident
    status: Literal["succeeded", "failed"]
    amount: Fen
    provider_ref: Text


class OrderItemIn(Strict):
    sku: Ident
    category: Ident
    unit_price: Fen
    quantity: Annotated[StrictInt, Field(gt=0, le=10000)]


class CheckoutRequest(Strict):
    merchant_id: Ident
    order_id: Ident
    user_id: Ident
    items: Annotated[list[OrderItemIn], Field(min_length=1, max_length=200)]
    expires_in_seconds: Annotated[Optional[StrictInt], Field(ge=60, le=86400)] = None


Points = Annotated[StrictInt, Field(ge=0, le=JSON_SAFE, description="points to spend")]


class CancelCheckoutRequest(Strict):
    reason: Optional[Text] = None


class QuoteRequest(Strict):
    coupon_id: Optional[Ident] = None
    points: Points = 0
    allow_partial: bool = False
    capture: bool = True


class PaymentRequest(Strict):
    checkout_id: Ident
    coupon_id: Optional[Ident] = None
    points: Points = 0
    allow_partial: bool = False
    capture: bool = True


Instant = Annotated[StrictStr, Field(pattern=r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?Z$",
                                      description="UTC, e.g. 2026-12-01T00:00:00Z")]


class CouponDefinitionRequest(Strict):
    name: Text
    kind: Literal["amount_off", "percent_off"]
    value: Annotated[StrictInt, Field(gt=0, le=JSON_SAFE, description="fen off, or percent off (1-100)")]
    max_discount: Optional[Fen] = None
    min_spend: Annotated[StrictInt, Field(ge=0, le=JSON_SAFE)] = 0
    merchant_id: Optional[Ident] = None
    balance_pay_only: bool = False
    valid_from: Instant
    valid_to: Instant
    per_customer_limit: Annotated[StrictInt, Field(ge=1, le=1000)] = 1
    budget_count: Optional[Annotated[StrictInt, Field(ge=1, le=10**9)]] = None
    budget_amount: Optional[Fen] = None
    budget_shards: Annotated[StrictInt, Field(ge=1, le=64, description=(
        "counters the budget is split over (fixed at creation): more spread many payers' writes, "
        "fewer keep the last uses from being spread thin"))] = 8


class ExtraBalanceDiscountIn(Strict):
    kind: Literal["extra_balance_discount"]
    percent: Annotated[StrictInt, Field(ge=1, le=50, description="off what balance pays for, rounded down")]
    max_amount: Optional[Fen] = Field(None, description="the most it takes off one order, fen (null: no cap)")


class PointsMultiplierIn(Strict):
    kind: Literal["points_multiplier"]
    factor: Annotated[StrictStr, Field(pattern=r"^[0-9]{1,2}(\.[0-9]{1,2})?$", description=(
        "a decimal string above 1 and at most 10, at most two decimals (\"1.5\"): kept as a whole percent, "
        "so no float reaches a points amount"))]


class SegmentIn(Strict):
    segment: Annotated[StrictStr, Field(min_length=1, max_length=80, description=(
        "\"tier:<tier name>\": the customers in that membership tier now (named segments come later)"))]


class GrantCouponIn(Strict):
    kind: Literal["grant_coupon"]
    definition_id: Ident
    audience: Literal["all_balance_payers", "balance_payers_last_30_days"] | SegmentIn


class PromotionRequest(Strict):
    name: Text
    merchant_id: Optional[Ident] = Field(None, description="none: every merchant (admins only)")
    starts_at: Instant
    ends_at: Instant
    effect: Annotated[ExtraBalanceDiscountIn | PointsMultiplierIn | GrantCouponIn, Field(discriminator="kind")]


class PromotionsQuery(Strict):
    merchant_id: Optional[Ident] = None


class GrantRequest(Strict):
    user_ids: Annotated[list[Ident], Field(min_length=1, max_length=500)]


class RewardRequest(Strict):
    name: Text
    kind: Literal["coupon", "gift"]
    points_cost: Annotated[StrictInt, Field(gt=0, le=JSON_SAFE)]
    coupon_definition_id: Optional[Ident] = None
    stock: Annotated[StrictInt, Field(ge=0, le=10**9)]
    per_customer_limit: Annotated[StrictInt, Field(ge=1, le=1000)] = 1
    active: bool = True


class TopupPlanRequest(Strict):
    name: Text
    min_amount: Fen = Field(description="the smallest top-up the plan rewards")
    bonus_amount: Optional[Fen] = Field(None, description="a fixed bonus (or bonus_percent)")
    bonus_percent: Optional[Annotated[StrictInt, Field(ge=1, le=100)]] = Field(
        None, description="a bonus of this percent of the top-up, at most bonus_max")
    bonus_max: Optional[Fen] = None
    bonus_valid_days: Optional[Annotated[StrictInt, Field(ge=1, le=3650)]] = Field(
        None, description="days the bonus is spendable after it is granted (none: it never expires)")
    valid_from: Instant
    valid_to: Instant
    per_customer_limit: Optional[Annotated[StrictInt, Field(ge=1, le=1000)]] = Field(
        None, description="bonuses one customer may receive from the plan (none: no limit)")
    active: bool = True


class TierIn(Strict):
    name: Annotated[StrictStr, Field(min_length=1, max_length=40)]
    threshold: Annotated[StrictInt, Field(ge=0, le=JSON_SAFE, description="fen of balance spent over 12 months")]
    # the range on each member of the union: on the union itself pydantic writes ge/le, which JSON Schema lacks
    points_multiplier: Annotated[Union[Annotated[StrictInt, Field(ge=1, le=10)],
                                       Annotated[StrictFloat, Field(ge=1, le=10)]],
                                 Field(description="points earned x this (1 to 10, two decimals)")]
    balance_pay_discount_percent: Annotated[StrictInt, Field(ge=0, le=50)] = 0

    model_config = ConfigDict(extra="forbid", strict=False, defer_build=True)


class TiersRequest(Strict):
    tiers: Annotated[list[TierIn], Field(min_length=1, max_length=20)]


class CouponsQuery(Strict):
    state: Optional[Literal["available", "held", "used", "expired"]] = None


HHMM = Annotated[StrictStr, Field(pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$")]
Day = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
Percent = Annotated[StrictInt, Field(ge=0, le=100)]


class WindowIn(Strict):
    days: Annotated[list[Day], Field(min_length=1, max_length=7)]
    from_: HHMM = Field(alias="from")
    to: HHMM

    model_config = ConfigDict(extra="forbid", strict=True, defer_build=True, populate_by_name=False)


class PartialPayIn(Strict):
    allowed: Literal["always", "never", "in_windows"] = "always"
    windows: Annotated[list[WindowIn], Field(max_length=28)] = []
    max_share_percent: Annotated[StrictInt, Field(ge=1, le=100)] = 100


class DiscountIn(Strict):
    percent: Annotated[StrictInt, Field(ge=0, le=90)] = 0
    max_amount: Optional[Annotated[StrictInt, Field(ge=0, le=JSON_SAFE)]] = None


class BalanceRulesRequest(Strict):
    min_order_amount: Annotated[StrictInt, Field(ge=0, le=JSON_SAFE)] = 0
    excluded_skus: Annotated[list[Ident], Field(max_length=1000)] = []
    excluded_categories: Annotated[list[Ident], Field(max_length=1000)] = []
    partial_pay: PartialPayIn = PartialPayIn()
    balance_pay_discount: DiscountIn = DiscountIn()
    daily_limit: Optional[Fen] = None
    timezone: Annotated[StrictStr, Field(min_length=1, max_length=64)] = "Asia/Shanghai"


class RefundRequest(Strict):
    amount: Fen
    reason: Text


class AdjustmentRequest(Strict):
    amount: Annotated[StrictInt, Field(ge=-JSON_SAFE, le=JSON_SAFE, description="signed, non-zero amount in fen")]
    lot: LotName
    reason: Text


ReminderDays = Annotated[StrictInt, Field(ge=1, le=30)]
Email = Annotated[StrictStr, Field(max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")]


class RemindersIn(Strict):
    """Only the fields sent change; null turns a reminder (or the e-mail) off."""

    low_balance: StrictBool = Field(True, description="remind when the balance falls below the threshold "
                                                      "(default true)")
    run_out_days: Optional[ReminderDays] = Field(
        None, description="remind (at most weekly) when the forecast says the balance runs out within this many "
                          "days; null: off (the default)")
    bonus_expiry_days: Optional[ReminderDays] = Field(
        3, description="remind this many days before bonus balance expires; null: off (default 3)")
    email: Optional[Email] = Field(None, description="also e-mail reminders here; null: inbox only (the default)")


def _no_default(schema: dict[str, Any]) -> None:
    schema.pop("default", None)  # "left out" is not a value a client may send: null is refused


class WalletSettingsRequest(Strict):
    """A partial update: each field left out keeps its value, so at least one must be sent. The fields of
    ``reminders`` likewise."""

    model_config = ConfigDict(json_schema_extra={"minProperties": 1})

    low_balance_threshold: Annotated[StrictInt, Field(ge=0, le=JSON_SAFE)] = Field(
        None, description="fen; the wallet shows low_balance below it (default 0: never)",
        json_schema_extra=_no_default)
    reminders: RemindersIn = Field(None, description="the reminders wanted (defaults: low_balance true, "
                                                    "run_out_days null, bonus_expiry_days 3, email null)",
                                     json_schema_extra=_no_default)

    @model_validator(mode="after")
    def _something_to_change(self) -> "WalletSettingsRequest":
        if not self.model_fields_set & {"low_balance_threshold", "reminders"}:
            raise ValueError("send low_balance_threshold, reminders or both")
        return self


class MerchantRequest(Strict):
    name: Text
    status: Literal["active", "suspended"] = "active"


class EntriesQuery(Strict):
    limit: Annotated[int, Field(ge=1, le=100)] = 20
    cursor: Optional[Annotated[str, Field(min_length=1, max_length=200)]] = None
    type: Optional[Literal["top_up", "payment", "refund", "adjustment", "authorization", "capture", "release",
                           "expiry"]] = None


class NotificationsQuery(Strict):
    unread: bool = Field(False, description="only notifications not yet read")
    limit: Annotated[int, Field(ge=1, le=100)] = 20
    cursor: Optional[Annotated[str, Field(min_length=1, max_length=200)]] = None


class PointsEntriesQuery(Strict):
    limit: Annotated[int, Field(ge=1, le=100)] = 20
    cursor: Optional[Annotated[str, Field(min_length=1, max_length=200)]] = None


Slug = Annotated[StrictStr, Field(min_length=1, max_length=32, pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$",
                                   description="a short lowercase slug, e.g. wrong-amount")]
Rating = Annotated[StrictInt, Field(ge=1, le=5, description="1 (worst) to 5 (best)")]


class FeedbackRequest(Strict):
    """Exactly one of ``payment_id``, ``topup_id``, ``entry_id``: the caller's own transaction."""

    payment_id: Optional[Ident] = None
    topup_id: Optional[Ident] = None
    entry_id: Optional[Ident] = None
    rating: Rating
    tags: Annotated[list[Slug], Field(max_length=10, description="at most 10, each named once")] = []
    comment: Optional[Annotated[StrictStr, Field(min_length=1, max_length=1000)]] = None

    @model_validator(mode="after")
    def _one_subject(self) -> "FeedbackRequest":
        named = [n for n in ("payment_id", "topup_id", "entry_id") if getattr(self, n) is not None]
        if len(named) != 1:
            raise ValueError("name exactly one of payment_id, topup_id, entry_id")
        if len(set(self.tags)) != len(self.tags):
            raise ValueError("a tag is named twice")
        if self.comment is not None:
            try:
                self.comment.encode("utf-8")
            except UnicodeEncodeError as exc:  # a lone UTF-16 surrogate escaped in the JSON
                raise ValueError("comment is not valid text") from exc
        return self

    @property
    def subject(self) -> tuple[str, str]:
        for kind, name in (("payment", "payment_id"), ("topup", "topup_id"), ("entry", "entry_id")):
            value = getattr(self, name)
            if value is not None:
                return kind, value
        raise AssertionError("validated: exactly one subject")


UtcDay = Annotated[str, Field(pattern=r"^\d{4}-\d{2}-\d{2}$", description="a UTC day, YYYY-MM-DD (inclusive)")]


class FeedbackQuery(Strict):
    rating_lte: Optional[Annotated[int, Field(ge=1, le=5)]] = None
    tag: Optional[Annotated[str, Field(min_length=1, max_length=32, pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$")]] = None
    merchant_id: Optional[Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$")]] = None
    from_: Optional[UtcDay] = Field(None, alias="from")
    to: Optional[UtcDay] = None
    limit: Annotated[int, Field(ge=1, le=100)] = 20
    cursor: Optional[Annotated[str, Field(min_length=1, max_length=500)]] = None

    model_config = ConfigDict(extra="forbid", strict=True, defer_build=True, populate_by_name=False)


# ---- responses ------------------------------------------------------------

class LotsOut(Out):
    cash: SignedFen
    bonus: SignedFen


class BalanceOut(LotsOut):
    total: SignedFen


class RemindersOut(Out):
    low_balance: bool
    run_out_days: Optional[int]
    bonus_expiry_days: Optional[int]
    email: Optional[str]


class ForecastOut(Out):
    daily_spend: int = Field(description="fen a day, averaged over the last 30 days (or since the first spend in "
                                         "them), rounded up")
    runs_out_on: Optional[str] = Field(description="the UTC day the balance no longer covers a day's spending; "
                                                   "null when nothing was spent")


class WalletOut(Out):
    user_id: str
    currency: str
    balance: BalanceOut
    held: BalanceOut = Field(description="on hold for authorized payments: not spendable, not yet spent")
    low_balance_threshold: int
    low_balance: bool = Field(description="the balance is below the customer's threshold")
    bonus_expiring: list["BonusExpiringOut"] = Field(
        description="bonus that expires, per expiry time, soonest first (bonus that never expires is not listed)")
    reminders: RemindersOut
    forecast: ForecastOut
    updated_at: Optional[str]


class NotificationOut(Out):
    notification_id: str
    type: Literal["low_balance", "run_out", "bonus_expiry", "feedback_prompt"]
    title: str
    body: str
    data: dict[str, Any]
    created_at: str
    read_at: Optional[str]


class NotificationsPage(Out):
    user_id: str
    items: list[NotificationOut]
    next_cursor: Optional[str]
    unread_count: int


class BonusExpiringOut(Out):
    amount: int
    expires_at: str


class EntryOut(Out):
    id: str
    type: str
    amount: SignedFen
    lots: LotsOut
    balance_after: BalanceOut
    held: Optional[LotsOut] = Field(None, description="what the entry put on hold (+) or took off hold (-)")
    held_after: Optional[BalanceOut] = None
    order_id: Optional[str] = None
    payment_id: Optional[str] = None
    checkout_id: Optional[str] = None
    topup_id: Optional[str] = None
    refund_id: Optional[str] = None
    merchant_id: Optional[str] = None
    reason: Optional[str] = None
    actor: Optional[str] = None
    plan_id: Optional[str] = Field(None, description="a top-up's bonus plan")
    bonus_expires_at: Optional[str] = Field(None, description="when a top-up's bonus expires ('never')")
    option: Optional[str] = Field(None, description="the top-up option it came from")
    grant_ids: Optional[str] = Field(None, description="an expiry's bonus grants, comma-separated")
    created_at: str


class PointsOut(Out):
    user_id: str
    available: int
    pending: int = Field(description="earned, waiting out the return window")
    held: int = Field(description="spent by authorizations not yet captured")
    lifetime_earned: int
    next_available_at: Optional[str]


class PointsEntryOut(Out):
    id: str
    type: str
    points: int = Field(description="the change of the account's total")
    held: int = Field(description="put on hold (+) or taken off hold (-) within the account")
    spent: int
    earned: int
    returned: int
    clawed_back: int
    shortfall: int = Field(description="earned points a refund could not take back (already spent)")
    available_after: int
    pending_after: int
    held_after: int
    payment_id: Optional[str] = None
    reward_id: Optional[str] = None
    created_at: str


class PointsEntriesPage(Out):
    user_id: str
    entries: list[PointsEntryOut]
    next_cursor: Optional[str]


class EntriesPage(Out):
    user_id: str
    entries: list[EntryOut]
    next_cursor: Optional[str]


class TopupOut(Out):
    topup_id: str
    option_id: Optional[str] = None
    status: Literal["pending", "succeeded", "failed"]
    amount: int
    channel: str
    created_at: str
    bonus: Optional[int] = Field(None, description="bonus granted with the credit (null until it is credited)")
    plan_id: Optional[str] = Field(None, description="the top-up plan the bonus came from")


class WebhookOut(Out):
    topup_id: str
    status: Literal["succeeded", "failed"]
    credited: bool
    bonus: Optional[int] = Field(None, description="bonus granted with the credit")
    plan_id: Optional[str] = None


class TopupPlanOut(Out):
    plan_id: str
    name: str
    min_amount: int
    bonus_amount: Optional[int]
    bonus_percent: Optional[int]
    bonus_max: Optional[int]
    bonus_valid_days: Optional[int]
    valid_from: str
    valid_to: str
    per_customer_limit: Optional[int]
    active: bool
    version: int


class TopupPlansPage(Out):
    plans: list[TopupPlanOut]


class TopupOptionOut(Out):
    option_id: str = Field(description="name it when creating the top-up")
    amount: int
    bonus: int = Field(description="the bonus a top-up of this amount would earn if credited now")
    plan_id: Optional[str]
    bonus_valid_days: Optional[int]


class TopupOptionsOut(Out):
    currency: str
    options: list[TopupOptionOut]
    suggested_amount: int = Field(description="an amount that covers the next 30 days of balance spending")


class DiscountOut(Out):
    source: Literal["balance_pay", "coupon", "tier", "promotion"]
    amount: int
    promotion_id: Optional[str] = Field(None, description="the promotion's (source promotion only)")

    @model_serializer(mode="wrap")
    def _promotion_lines_only(self, handler):  # the other sources' lines keep their two fields
        data = handler(self)
        if isinstance(data, dict) and data.get("promotion_id") is None:
            data.pop("promotion_id", None)
        return data


class PromotionAppliedOut(Out):
    promotion_id: str
    kind: Literal["extra_balance_discount", "points_multiplier"]
    amount: Optional[int] = Field(description="the extra discount, fen (extra_balance_discount)")
    factor: Optional[str] = Field(description="the points factor (points_multiplier)")


class LimitOut(Out):
    code: str
    message: str


class PaymentCreated(Out):
    payment_id: str
    checkout_id: str
    order_id: str
    merchant_id: str
    amount: int = Field(description="the order's amount")
    discounts: list[DiscountOut]
    discount_total: int
    coupon_id: Optional[str] = None
    promotions: list[PromotionAppliedOut] = Field(description="the live promotions this payment was priced with")
    funded_by: LotsOut = Field(description="what the wallet paid, per lot")
    external: int = Field(description="the rest, to be collected another way")
    points_spent: int
    points_value: int = Field(description="what the points paid, in fen")
    points_earned: int = Field(description="pending for the return window; an authorization earns at capture")
    status: Literal["succeeded", "authorized"]
    expires_at: Optional[str] = Field(None, description="when an authorization's hold ends unless captured")
    rules_version: int
    tier_after: Optional[str] = Field(None, description="the tier this payment raised the customer to, if any")
    balance: BalanceOut = Field(description="the wallet after the payment")
    created_at: str


class CaptureRequest(Strict):
    amount: Optional[Fen] = Field(None, description="fen of the hold to capture (default: all); the rest is released")


class SettlementOut(Out):
    payment_id: str
    checkout_id: Optional[str]
    order_id: str
    merchant_id: str
    status: Literal["succeeded", "voided", "expired"]
    captured: int
    released: int
    funded_by: LotsOut = Field(description="what the wallet paid, per lot (nothing for a void)")
    points_spent: int
    points_earned: int
    balance: BalanceOut
    held: BalanceOut
    updated_at: str


class CouponTermsOut(Out):
    definition_id: str
    name: str
    kind: str
    value: int
    max_discount: Optional[int]
    min_spend: int
    merchant_id: Optional[str]
    balance_pay_only: bool
    valid_from: str
    valid_to: str


class CouponDefinitionOut(CouponTermsOut):
    per_customer_limit: int
    budget_count: Optional[int]
    budget_amount: Optional[int]
    budget_shards: int
    version: int


class GrantSkip(Out):
    user_id: str
    code: Literal["limit_reached", "definition_expired"]


class GrantOut(Out):
    definition_id: str
    granted: int
    skipped: list[GrantSkip]


class CouponOut(CouponTermsOut):
    coupon_id: str
    state: Literal["available", "held", "used", "expired"]
    payment_id: Optional[str]
    granted_at: str


class CouponsPage(Out):
    user_id: str
    coupons: list[CouponOut]


class RewardOut(Out):
    reward_id: str
    name: str
    kind: Literal["coupon", "gift"]
    points_cost: int
    coupon_definition_id: Optional[str]
    stock: int
    per_customer_limit: int
    active: bool


class RewardsPage(Out):
    rewards: list[RewardOut]


class RedemptionOut(Out):
    redemption_id: str
    reward_id: str
    points_spent: int
    points_available: int
    coupon_id: Optional[str]


class TierOut(Out):
    name: str
    threshold: int
    points_multiplier: float
    balance_pay_discount_percent: int


class TiersOut(Out):
    version: int
    tiers: list[TierOut]


class DowngradeWarning(Out):
    to_tier: Optional[str]
    on: str


class MembershipOut(Out):
    user_id: str
    tier: Optional[TierOut]
    rolling_spend: int = Field(description="balance spent over the current month and the 11 before, in fen")
    next_tier: Optional[TierOut]
    to_next_tier: Optional[int]
    downgrade_warning: Optional[DowngradeWarning]


class CheckoutOut(Out):
    checkout_id: str
    merchant_id: str
    order_id: str
    user_id: str
    amount: int
    items: list["OrderItemOut"]
    status: Literal["open", "authorized", "paid", "expired", "cancelled"]
    expires_at: str
    created_at: str
    payment_id: Optional[str] = None
    cancelled_at: Optional[str] = None
    cancel_reason: Optional[str] = None


class QuoteOut(Out):
    checkout_id: str
    amount: int
    eligible_amount: int
    discounts: list[DiscountOut]
    discount_total: int
    balance: int = Field(description="what the wallet would pay")
    funded_by: LotsOut
    external: int
    points: int = Field(description="points spent")
    points_value: int
    points_to_earn: int
    tier: Optional[str] = Field(description="the membership tier the payment is priced under")
    promotions: list[PromotionAppliedOut] = Field(description="the live promotions it is priced with")
    status: Optional[Literal["succeeded", "authorized"]] = Field(
        description="what the payment would be; null when the quote is not payable")
    rules_version: int
    limits: list[LimitOut]
    payable: bool
    refusal: Optional[LimitOut] = None


class WindowOut(Out):
    days: list[str]
    from_: str = Field(alias="from")
    to: str

    model_config = ConfigDict(extra="forbid", defer_build=True, serialize_by_alias=True)


class PartialPayOut(Out):
    allowed: str
    windows: list[WindowOut]
    max_share_percent: int


class DiscountRuleOut(Out):
    percent: int
    max_amount: Optional[int]


class BalanceRulesOut(Out):
    merchant_id: str
    version: int
    min_order_amount: int
    excluded_skus: list[str]
    excluded_categories: list[str]
    partial_pay: PartialPayOut
    balance_pay_discount: DiscountRuleOut
    daily_limit: Optional[int]
    timezone: str
    updated_at: Optional[str]


class RefundOut(Out):
    refund_id: str
    payment_id: str
    amount: int
    returned_to: LotsOut
    points_returned: int
    points_clawed_back: int
    reason: str
    created_at: str


class RefundCreated(RefundOut):
    refundable: int
    points_shortfall: int = Field(description="earned points it should have taken back but were already spent")
    coupon_restored: bool = Field(description="a full refund gave the payment's coupon back (while still valid)")


class OrderItemOut(Out):
    sku: str
    category: str
    unit_price: int
    quantity: int


class PaymentOut(Out):
    payment_id: str
    order_id: str
    merchant_id: str
    user_id: str
    amount: int
    funded_by: LotsOut
    checkout_id: Optional[str] = None
    discount_total: int = 0
    coupon_id: Optional[str] = None
    promotions: list[PromotionAppliedOut] = []
    external: int = 0
    rules_version: Optional[int] = None
    points_spent: int = 0
    points_earned: int = 0
    items: list[OrderItemOut]
    status: Literal["authorized", "succeeded", "partially_refunded", "refunded", "voided", "expired"]
    expires_at: Optional[str] = None
    refunded: int
    refundable: int
    refunds: list[RefundOut]
    created_at: str


class AdjustmentOut(Out):
    adjustment_id: str
    user_id: str
    amount: SignedFen
    lot: LotName
    reason: str
    balance: BalanceOut
    created_at: str


class MerchantOut(Out):
    merchant_id: str
    name: str
    status: Literal["active", "suspended"]
    staff_group: str | None = None  # the Cognito group of its staff (None when no user pool is configured)


class Mismatch(Out):
    user_id: str
    stored: BalanceOut
    from_entries: BalanceOut
    difference: BalanceOut
    problems: list[str]


class ReconciliationTotals(Out):
    held: BalanceOut = Field(description="all money in wallets, available and on hold")
    on_hold: BalanceOut
    points: int = Field(description="all points in all accounts (available, pending, held)")
    credited: dict[str, int]
    debited: dict[str, int]
    net_from_entries: int
    conserved: bool


class ReconciliationOut(Out):
    wallets_checked: int
    mismatches: list[Mismatch]
    totals: ReconciliationTotals


class PromotionEffectOut(Out):
    kind: Literal["extra_balance_discount", "points_multiplier", "grant_coupon"]
    percent: Optional[int] = None
    max_amount: Optional[int] = None
    factor: Optional[str] = None
    definition_id: Optional[str] = None
    audience: Optional[str | dict[str, str]] = None


class GrantProgressOut(Out):
    state: Literal["not_started", "running", "done"]
    granted: int
    skipped: int


class PromotionOut(Out):
    promotion_id: str
    name: str
    merchant_id: Optional[str] = Field(description="none: every merchant")
    starts_at: str
    ends_at: str
    effect: PromotionEffectOut
    status: Literal["pending", "scheduled", "active", "ended", "cancelled"]
    created_at: str
    created_by: str
    updated_at: Optional[str]
    activated_at: Optional[str] = Field(description="when its start schedule fired")
    finished_at: Optional[str] = Field(description="when its end schedule fired")
    cancelled_at: Optional[str]
    schedules: list[str] = Field(description="its start and end schedules' names in the schedule group")
    grant: Optional[GrantProgressOut] = Field(description="grant_coupon: how far its start's grant has gone")


class PromotionsPage(Out):
    promotions: list[PromotionOut]


class HealthOut(Out):
    status: Literal["ok"]
    table: str


class FeedbackSubject(Out):
    kind: Literal["payment", "topup", "entry"]
    id: str


class FeedbackOut(Out):
    feedback_id: str
    subject: FeedbackSubject
    rating: int
    tags: list[str]
    comment: Optional[str]
    merchant_id: Optional[str] = Field(description="the payment's merchant (also an entry's that names one)")
    created_at: str


class FeedbackItemOut(FeedbackOut):
    user_id: str


class FeedbackPage(Out):
    items: list[FeedbackItemOut]
    next_cursor: Optional[str] = Field(description="null at the end; a page may be short (even empty) "
                                                   "while more months remain to read")


class ErrorDetail(Out):
    code: str = Field(description="machine-readable error code")
    message: str = Field(description="what went wrong, for a person")
    details: dict = Field(default_factory=dict)


class ErrorOut(Out):
    error: ErrorDetail
