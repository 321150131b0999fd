"""The daily bonus expiry job (EventBridge schedule): expired bonus leaves through an ``expiry`` entry."""
from __future__ import annotations

from typing import Any

from chalice import Blueprint

bp = Blueprint(__name__)


@bp.schedule("cron(5 16 * * ? *)", name="expire_bonus")  # 00:05 in China
def expire_bonus(event: Any) -> dict[str, Any]:
    raise NotImplementedError("bonus expiry: in progress")
