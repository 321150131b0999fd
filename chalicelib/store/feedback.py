"""Feedback on DynamoDB: finding the transaction rated, the one conditional write, the monthly listing.

Items (see the key layout in ``keys``): the feedback record ``FB#{YYYY-MM} / {created_at}#{feedback_id}``
and the guard ``FS#{kind}#{id} / FEEDBACK``, written together with the request's idempotency record in
one ``TransactWriteItems``, each conditioned on ``attribute_not_exists``.
"""

from __future__ import annotations

from typing import Any

from pynamodb.transactions import TransactGet

from ..domain.errors import FeedbackExists, IdempotencyKeyTaken, ReadChanged
from ..domain.feedback import Feedback, Subject
from ..domain.model import IdempotencyRecord
from ..observability import capture_method
from .dynamo import DynamoLedgerStore
from .guards import Cancelled, Guarded
from .idempotency import idempotency_record
from .keys import (
    ENTRY_PREFIX,
    feedback_guard_key,
    feedback_key,
    feedback_month_key,
    idempotency_key,
    payment_key,
    topup_key,
    wallet_key,
)
from .models import EntryItem, FeedbackGuardItem, FeedbackItem, IdempotencyItem, LedgerItem, PaymentItem, TopupItem

ENTRY_PAGE = 200  # entries read per Query while looking for an entry id (about 15 RCU, strongly consistent)


def _feedback(item: FeedbackItem) -> Feedback:
    return Feedback(
        feedback_id=item.feedback_id,
        user_id=item.user_id,
        subject_kind=item.subject_kind,
        subject_id=item.subject_id,
        rating=int(item.rating),
        created_at=item.created_at,
        tags=tuple(item.tags or ()),
        comment=item.comment,
        merchant_id=item.merchant_id,
    )


class DynamoFeedbackStore:
    """FeedbackStore on the ledger table (the ledger store's connection and idempotency records)."""

    def __init__(self, ledger: DynamoLedgerStore) -> None:
        self._ledger = ledger

    @property
    def _connection(self) -> Any:
        return LedgerItem._get_connection().connection

    def get_idempotency(self, scope: str, key: str) -> IdempotencyRecord | None:
        return self._ledger.get_idempotency(scope, key)

    @capture_method
    def read_subject(
        self, kind: str, subject_id: str, user_id: str, idempotency: tuple[str, str]
    ) -> tuple[IdempotencyRecord | None, Subject | None]:
        """The request's idempotency record and the transaction rated, if it exists (whoever it belongs to).

        A payment or a top-up: one TransactGetItems with the record. An entry: the record, then a Query of
        the caller's own wallet partition, newest first, filtered on ``entry_id`` (entries are keyed by
        sequence): it reads the entries newer than the one rated, about 12 per RCU, so a recent one costs
        one small page; an entry of someone else's is never in the caller's partition."""
        if kind == "entry":
            record = self._ledger.get_idempotency(*idempotency)
            return record, (None if record is not None else self._find_entry(user_id, subject_id))
        item_cls, key = (
            (PaymentItem, payment_key(subject_id)) if kind == "payment" else (TopupItem, topup_key(subject_id))
        )
        with TransactGet(connection=self._connection) as tg:
            idem_future = tg.get(IdempotencyItem, *idempotency_key(*idempotency))
            subject_future = tg.get(item_cls, *key)
        try:
            record = idempotency_record(idem_future.get())
        except IdempotencyItem.DoesNotExist:
            record = None
        try:
            item = subject_future.get()
        except item_cls.DoesNotExist:
            return record, None
        merchant_id = item.merchant_id if kind == "payment" else None
        return record, Subject(kind, subject_id, item.user_id, merchant_id)

    def _find_entry(self, user_id: str, entry_id: str) -> Subject | None:
        pk, _ = wallet_key(user_id)
        items = EntryItem.query(
            pk,
            EntryItem.sk.startswith(ENTRY_PREFIX),
            filter_condition=EntryItem.entry_id == entry_id,
            scan_index_forward=False,
            page_size=ENTRY_PAGE,
            limit=1,
            consistent_read=True,
        )
        for item in items:
            refs = dict(item.refs.as_dict() if hasattr(item.refs, "as_dict") else item.refs or {})
            merchant_id = refs.get("merchant_id")
            return Subject("entry", entry_id, item.user_id, merchant_id if isinstance(merchant_id, str) else None)
        return None

    @capture_method
    def add_feedback(self, fb: Feedback, record: IdempotencyRecord) -> None:
        """The idempotency record, the guard and the feedback in one transaction, each only if absent.
        Raises ``IdempotencyKeyTaken`` (the same key committed first), ``FeedbackExists``, or
        ``ReadChanged`` when a concurrent transaction on the same items cancelled it (nothing written)."""
        pk, sk = feedback_key(fb.month, fb.created_at, fb.feedback_id)
        attrs: dict[str, Any] = {}
        if fb.comment is not None:
            attrs["comment"] = fb.comment
        if fb.merchant_id is not None:
            attrs["merchant_id"] = fb.merchant_id
        try:
            with Guarded(self._connection) as tx:
                tx.put("idempotency", self._ledger._idem_item(record), IdempotencyItem.pk.does_not_exist())
                tx.put(
                    "subject_guard",
                    FeedbackGuardItem(
                        *feedback_guard_key(fb.subject_kind, fb.subject_id),
                        kind="feedback_guard",
                        feedback_id=fb.feedback_id,
                        user_id=fb.user_id,
                    ),
                    FeedbackGuardItem.pk.does_not_exist(),
                )
                tx.put(
                    "feedback",
                    FeedbackItem(
                        pk,
                        sk,
                        kind="feedback",
                        feedback_id=fb.feedback_id,
                        user_id=fb.user_id,
                        subject_kind=fb.subject_kind,
                        subject_id=fb.subject_id,
                        rating=fb.rating,
                        tags=list(fb.tags),
                        created_at=fb.created_at,
                        **attrs,
                    ),
                    FeedbackItem.pk.does_not_exist(),
                )
        except Cancelled as exc:
            if exc.condition_failed("idempotency"):
                raise IdempotencyKeyTaken() from exc
            if exc.condition_failed("subject_guard"):
                raise FeedbackExists(fb.subject_kind, fb.subject_id) from exc
            raise ReadChanged(None) from exc  # another transaction held an item: nothing written, retry

    @capture_method
    def feedback_page(
        self,
        month: str,
        low: str,
        high: str,
        after: str | None,
        *,
        rating_lte: int | None,
        tag: str | None,
        merchant_id: str | None,
        page_size: int,
    ) -> tuple[list[tuple[str, Feedback]], str | None]:
        """One Query of a month's partition, newest first: the feedback with sort key in [low, high] (after
        ``after``, exclusive) that pass the filters, each with its sort key, and the sort key to continue
        after (None: the month is done). Eventually consistent (half the read cost): a listing may miss
        feedback written in the last second."""
        pk = feedback_month_key(month)
        conditions = []
        if rating_lte is not None:
            conditions.append(FeedbackItem.rating <= rating_lte)
        if tag is not None:
            conditions.append(FeedbackItem.tags.contains(tag))
        if merchant_id is not None:
            conditions.append(FeedbackItem.merchant_id == merchant_id)
        filter_condition = None
        for c in conditions:
            filter_condition = c if filter_condition is None else filter_condition & c
        start = {"pk": {"S": pk}, "sk": {"S": after}} if after is not None else None
        results = FeedbackItem.query(
            pk,
            FeedbackItem.sk.between(low, high),
            filter_condition=filter_condition,
            scan_index_forward=False,
            page_size=page_size,
            last_evaluated_key=start,
        )
        page = next(results.page_iter)
        rows = [(raw["sk"]["S"], _feedback(FeedbackItem.from_raw_data(raw))) for raw in page.get("Items", [])]
        last = page.get("LastEvaluatedKey")
        return rows, (last["sk"]["S"] if last else None)
