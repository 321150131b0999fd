"""Idempotency records: the answer a key got, written in the same transaction as what it answered.

``I#{caller}#{key} / IDEM`` (``keys.idempotency_key``), expiring via TTL after the store's
``idempotency_ttl_seconds``.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from pynamodb.exceptions import PutError

from ..domain.errors import IdempotencyKeyTaken
from ..domain.model import IdempotencyRecord
from .base import StoreBase
from .guards import Put
from .keys import idempotency_key, idempotency_scope_and_key
from .models import IdempotencyItem


def idempotency_record(item: IdempotencyItem) -> IdempotencyRecord:
    scope, key = idempotency_scope_and_key(item.pk)
    return IdempotencyRecord(
        scope=scope,
        key=key,
        request_hash=item.request_hash,
        status_code=int(item.status_code),
        body=item.body,
        created_at=item.created_at,
    )


def idempotency_item(rec: IdempotencyRecord, ttl: timedelta) -> IdempotencyItem:
    pk, sk = idempotency_key(rec.scope, rec.key)
    return IdempotencyItem(
        pk,
        sk,
        kind="idempotency",
        request_hash=rec.request_hash,
        status_code=rec.status_code,
        body=rec.body,
        created_at=rec.created_at,
        expires_at=datetime.now(timezone.utc) + ttl,
    )


def idempotency_put(rec: IdempotencyRecord, ttl: timedelta) -> Put:
    """The record, only if its key is unused (label ``idempotency``)."""
    return Put("idempotency", idempotency_item(rec, ttl), IdempotencyItem.pk.does_not_exist())


class IdempotencyStore(StoreBase):
    def _idem_item(self, rec: IdempotencyRecord) -> IdempotencyItem:
        return idempotency_item(rec, self._ttl)

    def get_idempotency(self, scope: str, key: str) -> IdempotencyRecord | None:
        try:
            return idempotency_record(IdempotencyItem.get(*idempotency_key(scope, key), consistent_read=True))
        except IdempotencyItem.DoesNotExist:
            return None

    def put_idempotency(self, record: IdempotencyRecord) -> None:
        """An answer recorded on its own (a use case whose effects are each idempotent by themselves)."""
        try:
            self._idem_item(record).save(condition=IdempotencyItem.pk.does_not_exist())
        except PutError as exc:
            if exc.cause_response_code == "ConditionalCheckFailedException":
                raise IdempotencyKeyTaken() from exc
            raise
