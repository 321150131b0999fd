"""What every part of the ledger store shares: the table's one connection and the idempotency records' TTL.

Each aggregate's store (``wallets.WalletStore``, ``payments.PaymentStore``, ...) is a mixin on ``StoreBase``;
``dynamo.DynamoLedgerStore`` composes them into the one store object the services receive.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from ..observability import tracer
from .models import LedgerItem


class StoreBase:
    """The state the parts share: set once, by ``DynamoLedgerStore(idempotency_ttl_seconds)``."""

    def __init__(self, idempotency_ttl_seconds: int) -> None:
        self._ttl = timedelta(seconds=idempotency_ttl_seconds)
        # Connect the base model first: every item model then inherits its one connection (one botocore
        # client per process) instead of creating its own on first use (50-150 ms each on a cold start).
        # Every DynamoDB call becomes a subsegment of the request's trace (when tracing is on).
        tracer.instrument(LedgerItem._get_connection().connection.client)

    @property
    def _connection(self) -> Any:
        return LedgerItem._get_connection().connection
