"""Merchants, their balance rules and the membership tiers: ``M#{merchant} / MERCHANT``,
``M#{merchant} / RULES`` and ``TIERS / CONFIG``; each rules or tiers version is conditioned on the one before.
"""

from __future__ import annotations

from typing import Any

from pynamodb.exceptions import PutError

from ..domain.errors import VersionTaken
from ..domain.model import Merchant
from ..domain.rules import BalanceRules
from ..domain.tiers import Tier, TierTable
from .base import StoreBase
from .keys import merchant_key, rules_key, tiers_key
from .models import MerchantItem, RulesItem, TiersItem


def as_merchant(item: MerchantItem) -> Merchant:
    return Merchant(
        merchant_id=item.merchant_id,
        name=item.name,
        status=item.status,
        return_origins=tuple(item.return_origins or ()),
    )


def as_rules(item: RulesItem) -> BalanceRules:
    return BalanceRules.from_view(item.merchant_id, item.document, int(item.version), item.updated_at)


def as_tiers(item: TiersItem) -> TierTable:
    return TierTable(
        tuple(
            Tier(t["name"], int(t["threshold"]), int(t["multiplier_percent"]), int(t["discount_percent"]))
            for t in item.tiers
        ),
        int(item.version),
    )


class MerchantStore(StoreBase):
    def put_merchant(self, merchant: Merchant, at: str) -> None:
        MerchantItem(
            *merchant_key(merchant.merchant_id),
            kind="merchant",
            merchant_id=merchant.merchant_id,
            name=merchant.name,
            status=merchant.status,
            return_origins=list(merchant.return_origins) or None,
            updated_at=at,
        ).save()

    def put_rules(self, rules: BalanceRules, document: dict[str, Any]) -> None:
        """Write version ``rules.version``, conditioned on the stored one being the version before it."""
        condition = RulesItem.pk.does_not_exist() if rules.version == 1 else RulesItem.version == rules.version - 1
        try:
            RulesItem(
                *rules_key(rules.merchant_id),
                kind="rules",
                merchant_id=rules.merchant_id,
                version=rules.version,
                document=document,
                updated_at=rules.updated_at or "",
            ).save(condition=condition)
        except PutError as exc:
            if exc.cause_response_code == "ConditionalCheckFailedException":
                raise VersionTaken() from exc
            raise

    def put_tiers(self, table: TierTable, at: str) -> None:
        condition = TiersItem.pk.does_not_exist() if table.version == 1 else TiersItem.version == table.version - 1
        try:
            TiersItem(
                *tiers_key(),
                kind="tiers",
                version=table.version,
                updated_at=at,
                tiers=[
                    {
                        "name": t.name,
                        "threshold": t.threshold,
                        "multiplier_percent": t.multiplier_percent,
                        "discount_percent": t.discount_percent,
                    }
                    for t in table.tiers
                ],
            ).save(condition=condition)
        except PutError as exc:
            if exc.cause_response_code == "ConditionalCheckFailedException":
                raise VersionTaken() from exc
            raise
