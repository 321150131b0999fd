"""Limited-time promotions: the function EventBridge Scheduler invokes at a promotion's start and end."""
from __future__ import annotations

from typing import Any

from chalice import Blueprint

bp = Blueprint(__name__)


@bp.lambda_function(name="promotions")
def promotions(event: dict[str, Any], context: Any) -> dict[str, Any]:
    raise NotImplementedError("promotions: in progress")
