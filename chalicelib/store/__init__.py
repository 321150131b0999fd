"""Storage: the PynamoDB models of the ledger table and the store built on them."""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .dynamo import DynamoLedgerStore
    from .feedback import DynamoFeedbackStore


@lru_cache(maxsize=1)
def get_store() -> "DynamoLedgerStore":
    """The process's one store (PynamoDB keeps one connection per model class)."""
    from ..config import get_settings
    from .dynamo import DynamoLedgerStore

    return DynamoLedgerStore(get_settings().idempotency_ttl_seconds)


@lru_cache(maxsize=1)
def get_feedback_store() -> "DynamoFeedbackStore":
    """Feedback on the same table, through the process's one ledger store."""
    from .feedback import DynamoFeedbackStore

    return DynamoFeedbackStore(get_store())
