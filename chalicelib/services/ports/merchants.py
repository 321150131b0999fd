"""Merchants, their balance rules and tier tables."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from ...domain.model import Merchant
    from ...domain.rules import BalanceRules
    from ...domain.tiers import TierTable


class Merchants(Protocol):
    """``merchants``: a merchant."""

    def put_merchant(self, merchant: Merchant, at: str) -> None: ...


class MerchantRules(Protocol):
    """``merchants``: a merchant's balance rules, each version conditioned on the one before (``VersionTaken``)."""

    def put_rules(self, rules: BalanceRules, document: dict[str, Any]) -> None: ...


class Tiers(Protocol):
    """``merchants``: the membership tiers, each version conditioned on the one before (``VersionTaken``)."""

    def put_tiers(self, table: TierTable, at: str) -> None: ...
