"""A merchant's balance rules: set and read them, and the short-lived cache payments and quotes read them from.

Why a cache: a payment is one TransactGetItems of what it moves (checkout,
wallet, idempotency record); the merchant's configuration is read through a
per-process cache that keeps each merchant's rules and status for
``RULES_CACHE_SECONDS`` (default 30 s). A rules change therefore reaches every
function within that time; each payment records the version it was priced
under. The quote and the payment read the same cache, so at the same moment
they price under the same version.

The same cache holds the promotions that may be live (one Query of the promotions' partition, shared by
every merchant, kept as long): each merchant's configuration carries the platform-wide ones and its own.
Pricing itself decides which are live at the moment it prices (their window and status), so the cache
only delays a new or cancelled promotion (at once in the function that made the change).
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, replace
from datetime import datetime, timedelta, timezone
from typing import Any, Callable

from ..domain import access
from ..domain.errors import ConcurrentUpdate, Forbidden, NotFound, VersionTaken
from ..domain.model import Merchant, Principal
from ..domain.promotions import Promotion
from ..domain.rules import BalanceRules
from ..domain.tiers import TierTable
from ..observability import capture_method
from . import clock
from .ports import ConfigSource, RulesStore, Snapshots


@dataclass(frozen=True)
class MerchantConfig:
    merchant: Merchant | None
    rules: BalanceRules
    tiers: TierTable = TierTable()
    promotions: tuple[Promotion, ...] = ()  # platform-wide and this merchant's, that may be live


class ConfigCache:
    """Merchant and rules by merchant id, and the promotions that may be live, each entry kept ``ttl`` seconds.

    ``promotion_days`` is the longest a promotion may run: a promotion that started longer ago than that has
    ended, so the promotions read are those that start after it (one range of the promotions' ids)."""

    def __init__(self, ttl: float, clock: Callable[[], float] = time.monotonic, promotion_days: int = 90) -> None:
        self.ttl = ttl
        self.clock = clock
        self.promotion_days = promotion_days
        self._entries: dict[str, tuple[float, MerchantConfig]] = {}
        self._promotions: tuple[float, tuple[Promotion, ...]] | None = None
        self._lock = threading.Lock()

    def get(self, store: ConfigSource, merchant_id: str) -> MerchantConfig:
        """The merchant's configuration: from the cache while fresh, else in one read (the merchant, rules, tiers
        and, if they are stale too, the live promotions, in one TransactGetItems)."""
        now = self.clock()
        with self._lock:
            hit, promotions_hit = self._entries.get(merchant_id), self._promotions
        promotions = promotions_hit[1] if promotions_hit is not None and now - promotions_hit[0] < self.ttl else None
        since = datetime.now(timezone.utc) - timedelta(days=self.promotion_days)
        if hit is not None and now - hit[0] < self.ttl:
            config = hit[1]
        else:
            snap, live = store.read_configuration(merchant_id, since if promotions is None else None)
            config = MerchantConfig(
                snap.merchant, snap.rules or BalanceRules(merchant_id=merchant_id), snap.tiers or TierTable()
            )
            with self._lock:
                self._entries[merchant_id] = (now, config)
            if live is not None:
                promotions = self._keep_promotions(now, live)
        if promotions is None:  # the merchant was fresh, the promotions were not
            promotions = self._keep_promotions(now, store.promotions_that_may_be_live(since))
        return replace(config, promotions=tuple(p for p in promotions if p.applies_to(merchant_id)))

    def _keep_promotions(self, now: float, live: Any) -> tuple[Promotion, ...]:
        promotions = tuple(live)
        with self._lock:
            self._promotions = (now, promotions)
        return promotions

    def forget_promotions(self) -> None:
        with self._lock:
            self._promotions = None

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._promotions = None

    def forget(self, merchant_id: str) -> None:
        with self._lock:
            self._entries.pop(merchant_id, None)


@capture_method
def get_rules(store: Snapshots, principal: Principal, merchant_id: str) -> dict[str, Any]:
    if not access.reads_configuration(principal, merchant_id):
        raise Forbidden("the merchant's staff, a service or an admin may read its balance rules")
    snap = store.snapshot(merchant=merchant_id, rules=merchant_id)
    if snap.merchant is None:
        raise NotFound("merchant", merchant_id)
    return (snap.rules or BalanceRules(merchant_id=merchant_id)).as_view()


@capture_method
def put_rules(
    store: RulesStore,
    principal: Principal,
    merchant_id: str,
    document: dict[str, Any],
    cache: ConfigCache,
    max_attempts: int = 5,
) -> dict[str, Any]:
    """Replace the rules with ``document`` (validated by the API) as the next version.

    Invariant: versions go 1, 2, 3, ... with no two changes under one version (the write is
    conditioned on the version it follows); a change that keeps losing answers 409.
    """
    if not access.manages(principal, merchant_id):
        raise Forbidden("the merchant's staff or an admin may change its balance rules")
    for _ in range(max_attempts):
        snap = store.snapshot(merchant=merchant_id, rules=merchant_id)
        if snap.merchant is None:
            raise NotFound("merchant", merchant_id)
        version = (snap.rules.version if snap.rules else 0) + 1
        rules = BalanceRules.from_view(merchant_id, document, version, clock.stamp())
        try:
            store.put_rules(rules, rules.as_view())
        except VersionTaken:
            continue
        cache.forget(merchant_id)  # this process sees its own change at once; others within the TTL
        return rules.as_view()
    raise ConcurrentUpdate(max_attempts)
