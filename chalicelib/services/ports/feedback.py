"""Feedback records, and the feedback store as a whole (``DynamoFeedbackStore``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from .ledger import IdempotencyReads

if TYPE_CHECKING:
    from ...domain.feedback import Feedback, Subject
    from ...domain.model import IdempotencyRecord


class FeedbackRecords(Protocol):
    """``feedback`` (``DynamoFeedbackStore``): the transaction rated, once (``FeedbackExists``), the listing."""

    def read_subject(
        self, kind: str, subject_id: str, user_id: str, idempotency: tuple[str, str]
    ) -> tuple[IdempotencyRecord | None, Subject | None]: ...

    def add_feedback(self, fb: Feedback, record: IdempotencyRecord) -> None: ...

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
    ) -> tuple[list[tuple[str, Feedback]], str | None]: ...


class FeedbackStore(IdempotencyReads, FeedbackRecords, Protocol):
    """What ``DynamoFeedbackStore`` (and ``tests/unit/fakes.FakeFeedbackStore``) is."""
