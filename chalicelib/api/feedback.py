"""Feedback routes: a customer rates one of their own transactions; operators list the feedback."""

from __future__ import annotations

from chalice import Blueprint

from ..services import feedback
from ..services.common import Outcome
from .. import bootstrap
from .routing import Call, route

bp = Blueprint(__name__)


@route(
    bp,
    "/v1/feedback",
    "POST",
    name="submitFeedback",
    summary="Rate one of the caller's own transactions (a payment, a top-up or a ledger entry), once",
    access="user",
    body="feedback.FeedbackRequest",
    response="feedback.FeedbackOut",
    status=201,
    idempotent=True,
    tag="feedback",
)
def submit(call: Call) -> Outcome:
    b = call.body
    kind, subject_id = b.subject
    return feedback.submit(
        bootstrap.feedback_store(),
        call.caller,
        call.key,
        kind=kind,
        subject_id=subject_id,
        rating=b.rating,
        tags=list(b.tags),
        comment=b.comment,
    )


@route(
    bp,
    "/v1/admin/feedback",
    "GET",
    name="adminListFeedback",
    summary="Feedback newest first, by UTC days, rating at most, tag and merchant (admin)",
    access="admin",
    query="feedback.FeedbackQuery",
    response="feedback.FeedbackPage",
    tag="admin",
)
def list_feedback(call: Call) -> dict:
    q = call.query
    return feedback.list_feedback(
        bootstrap.feedback_store(),
        start=q.from_,
        end=q.to,
        rating_lte=q.rating_lte,
        tag=q.tag,
        merchant_id=q.merchant_id,
        limit=q.limit,
        cursor=q.cursor,
    )
