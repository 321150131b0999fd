"""The stream publisher: the table's DynamoDB stream -> domain events on the stage's EventBridge bus."""
from __future__ import annotations

from typing import Any

from chalice import Blueprint

from ..config import get_settings

bp = Blueprint(__name__)


@bp.on_dynamodb_record(stream_arn=get_settings().ledger_stream_arn, name="publish_events", batch_size=100,
                       starting_position="TRIM_HORIZON")
def publish_events(event: Any) -> dict[str, Any]:
    raise NotImplementedError("stream publisher: in progress")
