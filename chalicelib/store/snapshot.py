"""The one read across aggregates: the items a use case plans from, in one strongly consistent
TransactGetItems (so a plan never rests on two reads of different moments).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Callable

from pynamodb.transactions import TransactGet

from ..domain.model import Snapshot
from ..observability import capture_method
from .base import StoreBase
from .checkouts import as_checkout, live_checkout_id
from .coupons import as_coupon, as_definition
from .idempotency import idempotency_record
from .keys import (
    Key,
    checkout_guard_key,
    checkout_key,
    coupon_definition_key,
    coupon_key,
    idempotency_key,
    merchant_key,
    order_key,
    payment_key,
    redemptions_key,
    reward_key,
    rules_key,
    tiers_key,
    topup_key,
    wallet_key,
)
from .keys import live_promotions_key
from .merchants import as_merchant, as_rules, as_tiers
from .promotions import live_since
from .models import (
    LivePromotionsItem,
    CheckoutGuardItem,
    CheckoutItem,
    CouponDefinitionItem,
    CouponItem,
    IdempotencyItem,
    MerchantItem,
    OrderItem,
    PaymentItem,
    RedemptionsItem,
    RewardItem,
    RulesItem,
    TiersItem,
    TopupItem,
    WalletItem,
)
from .payments import as_payment
from .rewards import as_reward
from .topups import as_topup
from .wallets import as_wallet


class SnapshotStore(StoreBase):
    @capture_method
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
    ) -> Snapshot:
        """Read the named items in one strongly consistent TransactGetItems."""
        asked: list[tuple[str, type, Key, Callable[[Any], Any]]] = []
        if checkout is not None:
            asked.append(("checkout", CheckoutItem, checkout_key(checkout), as_checkout))
        if rules is not None:
            asked.append(("rules", RulesItem, rules_key(rules), as_rules))
        if coupon is not None:
            asked.append(("coupon", CouponItem, coupon_key(*coupon), as_coupon))
        if reward is not None:
            asked.append(("reward", RewardItem, reward_key(reward), as_reward))
        if redemptions is not None:
            asked.append(("redemptions", RedemptionsItem, redemptions_key(*redemptions), lambda i: int(i.redeemed)))
        if tiers:
            asked.append(("tiers", TiersItem, tiers_key(), as_tiers))
        if coupon_definition is not None:
            asked.append(
                ("coupon_definition", CouponDefinitionItem, coupon_definition_key(coupon_definition), as_definition)
            )
        if paid_order is not None:
            asked.append(("paid_order", OrderItem, order_key(*paid_order), lambda i: i.payment_id))
        if checkout_guard is not None:
            asked.append(("checkout_guard", CheckoutGuardItem, checkout_guard_key(*checkout_guard), live_checkout_id))
        if wallet is not None:
            asked.append(("wallet", WalletItem, wallet_key(wallet), as_wallet))
        if merchant is not None:
            asked.append(("merchant", MerchantItem, merchant_key(merchant), as_merchant))
        if payment is not None:
            asked.append(("payment", PaymentItem, payment_key(payment), as_payment))
        if topup is not None:
            asked.append(("topup", TopupItem, topup_key(topup), as_topup))
        if idempotency is not None:
            asked.append(("idempotency", IdempotencyItem, idempotency_key(*idempotency), idempotency_record))
        if not asked:
            return Snapshot()
        with TransactGet(connection=self._connection) as tg:
            futures = [(name, cls, tg.get(cls, *key), conv) for name, cls, key, conv in asked]
        found: dict[str, Any] = {}
        for name, cls, future, conv in futures:
            try:
                found[name] = conv(future.get())
            except cls.DoesNotExist:
                found[name] = None
        return Snapshot(**found)

    @capture_method
    def read_configuration(
        self, merchant_id: str, live_promotions_since: datetime | None = None
    ) -> tuple[Snapshot, list[Any] | None]:
        """A merchant's configuration as pricing reads it, in one strongly consistent TransactGetItems: the
        merchant, its rules and the tiers, and with ``live_promotions_since`` the scheduled and active
        promotions that start at or after it (from the LIVE item; else None)."""
        with TransactGet(connection=self._connection) as tg:
            merchant = tg.get(MerchantItem, *merchant_key(merchant_id))
            rules = tg.get(RulesItem, *rules_key(merchant_id))
            tiers = tg.get(TiersItem, *tiers_key())
            live = tg.get(LivePromotionsItem, *live_promotions_key()) if live_promotions_since is not None else None

        def found(future: Any, cls: Any, conv: Callable[[Any], Any]) -> Any:
            try:
                return conv(future.get())
            except cls.DoesNotExist:
                return None

        snap = Snapshot(
            merchant=found(merchant, MerchantItem, as_merchant),
            rules=found(rules, RulesItem, as_rules),
            tiers=found(tiers, TiersItem, as_tiers),
        )
        if live is None or live_promotions_since is None:
            return snap, None
        return snap, live_since(found(live, LivePromotionsItem, lambda item: item), live_promotions_since)
