"""Coupon definitions, coupons, rewards and promotions."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from ...domain.coupons import Coupon, CouponDefinition, Redemption, Reward
    from ...domain.model import IdempotencyRecord
    from ...domain.promotions import Promotion


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
