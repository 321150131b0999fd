"""Request and response models: they validate what comes in, shape what goes out,
and are the source of the OpenAPI document. Strict: no coercion, no unknown fields.

One module per resource; the base classes and the shared field types are in ``common``. Import a model
from its resource module (``from .schemas.wallet import WalletOut``); the names re-exported here keep
older ``from .schemas import ...`` lines working.
"""
from __future__ import annotations

from .common import (
    Fen, ID_PATTERN, Ident, Instant, JSON_SAFE, LotName, Out, Points, SignedFen, Strict, Text,
)
from .wallet import (
    BalanceOut, BonusExpiringOut, Email, EntriesPage, EntriesQuery, EntryOut, ForecastOut, LotsOut, ReminderDays,
    RemindersIn, RemindersOut, WalletOut, WalletSettingsRequest,
)
from .topups import (
    TopupOptionOut, TopupOptionsOut, TopupOut, TopupPlanOut, TopupPlanRequest, TopupPlansPage, TopupRequest,
    WebhookOut, WebhookRequest,
)
from .checkouts import (
    CancelCheckoutRequest, CheckoutOut, CheckoutRequest, DiscountOut, LimitOut, OrderItemIn, OrderItemOut,
    PromotionAppliedOut, QuoteOut, QuoteRequest,
)
from .balance_rules import (
    BalanceRulesOut, BalanceRulesRequest, Day, DiscountIn, DiscountRuleOut, HHMM, PartialPayIn, PartialPayOut,
    Percent, WindowIn, WindowOut,
)
from .payments import (
    CaptureRequest, PaymentCreated, PaymentOut, PaymentRequest, RefundCreated, RefundOut, RefundRequest,
    SettlementOut,
)
from .coupons import (
    CouponDefinitionOut, CouponDefinitionRequest, CouponOut, CouponsPage, CouponsQuery, CouponTermsOut, GrantOut,
    GrantRequest, GrantSkip,
)
from .rewards import (
    RedemptionOut, RewardOut, RewardRequest, RewardsPage,
)
from .points import (
    PointsEntriesPage, PointsEntriesQuery, PointsEntryOut, PointsOut,
)
from .membership import (
    DowngradeWarning, MembershipOut, TierIn, TierOut, TiersOut, TiersRequest,
)
from .notifications import (
    NotificationOut, NotificationsPage, NotificationsQuery,
)
from .feedback import (
    FeedbackItemOut, FeedbackOut, FeedbackPage, FeedbackQuery, FeedbackRequest, FeedbackSubject, Rating, Slug,
    UtcDay,
)
from .promotions import (
    ExtraBalanceDiscountIn, GrantCouponIn, GrantProgressOut, PointsMultiplierIn, PromotionEffectOut, PromotionOut,
    PromotionRequest, PromotionsPage, PromotionsQuery, SegmentIn,
)
from .admin import (
    AdjustmentOut, AdjustmentRequest, MerchantOut, MerchantRequest, Mismatch, ReconciliationOut,
    ReconciliationTotals,
)
from .meta import (
    ErrorDetail, ErrorOut, HealthOut,
)

__all__ = [
    "Fen",
    "ID_PATTERN",
    "Ident",
    "Instant",
    "JSON_SAFE",
    "LotName",
    "Out",
    "Points",
    "SignedFen",
    "Strict",
    "Text",
    "BalanceOut",
    "BonusExpiringOut",
    "Email",
    "EntriesPage",
    "EntriesQuery",
    "EntryOut",
    "ForecastOut",
    "LotsOut",
    "ReminderDays",
    "RemindersIn",
    "RemindersOut",
    "WalletOut",
    "WalletSettingsRequest",
    "TopupOptionOut",
    "TopupOptionsOut",
    "TopupOut",
    "TopupPlanOut",
    "TopupPlanRequest",
    "TopupPlansPage",
    "TopupRequest",
    "WebhookOut",
    "WebhookRequest",
    "CancelCheckoutRequest",
    "CheckoutOut",
    "CheckoutRequest",
    "DiscountOut",
    "LimitOut",
    "OrderItemIn",
    "OrderItemOut",
    "PromotionAppliedOut",
    "QuoteOut",
    "QuoteRequest",
    "BalanceRulesOut",
    "BalanceRulesRequest",
    "Day",
    "DiscountIn",
    "DiscountRuleOut",
    "HHMM",
    "PartialPayIn",
    "PartialPayOut",
    "Percent",
    "WindowIn",
    "WindowOut",
    "CaptureRequest",
    "PaymentCreated",
    "PaymentOut",
    "PaymentRequest",
    "RefundCreated",
    "RefundOut",
    "RefundRequest",
    "SettlementOut",
    "CouponDefinitionOut",
    "CouponDefinitionRequest",
    "CouponOut",
    "CouponsPage",
    "CouponsQuery",
    "CouponTermsOut",
    "GrantOut",
    "GrantRequest",
    "GrantSkip",
    "RedemptionOut",
    "RewardOut",
    "RewardRequest",
    "RewardsPage",
    "PointsEntriesPage",
    "PointsEntriesQuery",
    "PointsEntryOut",
    "PointsOut",
    "DowngradeWarning",
    "MembershipOut",
    "TierIn",
    "TierOut",
    "TiersOut",
    "TiersRequest",
    "NotificationOut",
    "NotificationsPage",
    "NotificationsQuery",
    "FeedbackItemOut",
    "FeedbackOut",
    "FeedbackPage",
    "FeedbackQuery",
    "FeedbackRequest",
    "FeedbackSubject",
    "Rating",
    "Slug",
    "UtcDay",
    "ExtraBalanceDiscountIn",
    "GrantCouponIn",
    "GrantProgressOut",
    "PointsMultiplierIn",
    "PromotionEffectOut",
    "PromotionOut",
    "PromotionRequest",
    "PromotionsPage",
    "PromotionsQuery",
    "SegmentIn",
    "AdjustmentOut",
    "AdjustmentRequest",
    "MerchantOut",
    "MerchantRequest",
    "Mismatch",
    "ReconciliationOut",
    "ReconciliationTotals",
    "ErrorDetail",
    "ErrorOut",
    "HealthOut",
]
