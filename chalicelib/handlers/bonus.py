"""The daily bonus expiry job (EventBridge schedule): expired bonus leaves through an ``expiry`` entry.

Its work list is the sparse index ``bonus-due`` (wallets by their soonest bonus expiry, in shards); each
wallet is then settled by one conditional transaction (chalicelib.services.bonus.expire_bonus), so an
index entry that is stale expires nothing and two runs never expire a grant twice.
"""

from __future__ import annotations

from typing import Any

from chalice import Blueprint

from ..config import get_settings
from ..domain.moments import format_time
from ..observability import logger, metrics
from ..services import clock
from ..services.bonus import expire_bonus as expire_wallet_bonus
from ..services.common import LedgerPolicy
from .. import bootstrap

bp = Blueprint(__name__)


def expire_due_bonus() -> dict[str, Any]:
    store, policy = bootstrap.store(), LedgerPolicy.from_settings(get_settings())
    due = store.wallets_with_bonus_due(format_time(clock.now()))
    amounts = {user: expire_wallet_bonus(store, policy, user) for user in due}
    expired = {user: amount for user, amount in amounts.items() if amount}
    metrics.add_metric(name="BonusExpired", unit="Count", value=sum(expired.values()))
    metrics.add_metric(name="WalletsWithBonusExpired", unit="Count", value=len(expired))
    logger.info("bonus expiry", extra={"due": len(due), "wallets": len(expired), "amount": sum(expired.values())})
    metrics.flush_metrics()
    return {"due": len(due), "wallets": len(expired), "amount": sum(expired.values()), "expired": expired}


@bp.schedule("cron(5 16 * * ? *)", name="expire_bonus")  # 00:05 in China
def expire_bonus(event: Any) -> dict[str, Any]:
    return expire_due_bonus()
